import { setTimeout as sleep } from 'node:timers/promises';
import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { ConflictError, RateLimitedError, UnauthenticatedError, ValidationError } from '../../kernel/errors.js';
import { windowCounter } from '../../kernel/rate-limit.js';
import type { Role } from '../../domain/common/actor.js';
import { userStream, type ActiveUser } from '../../domain/users/user.js';
import { userView, type UserView } from '../../domain/users/view.js';
import { sessionStream } from '../../domain/users/session.js';
import { reservationStream } from '../../domain/uniqueness/reservation.js';
import { looksLikeEmail, normalizeEmail, normalizePhone, passwordWeakness } from '../../domain/users/credentials.js';
import { USER_LOGINS, loginKey } from '../../projections/users/users.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import { familyOf, newRefreshToken, sha256 } from './tokens.js';
import { consumeCode, InvalidCodeError, issueCode, type CodePurpose } from './sms-codes.js';

export interface AuthResult {
  user: UserView;
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresIn: number;
  position: number;
}

/** A reservation left by a registration that crashed before its user existed may be taken over after this. */
const ORPHAN_RESERVATION_MS = 60_000;
const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** Attempts per window: slowed past `slowAfter`, refused past `refuseAt`. */
export const LOGIN_LIMITS = { slowAfter: 3, refuseAt: 10, perIpSlowAfter: 20, perIpRefuseAt: 100, slowStepMs: 200, slowMaxMs: 2000 };

const at = (deps: Pick<Deps, 'clock'>) => deps.clock.now().toISOString();

// ---------- registration ----------

export async function requestCode(deps: Deps, input: { phone: string; purpose: CodePurpose; ip: string }) {
  const phone = requirePhone(input.phone);
  // Login and reset codes go only to registered numbers, yet the answer is the same either way.
  const deliver = input.purpose === 'register' || (await lookupUserId(deps, 'phone', phone)) !== null;
  return issueCode(deps, { to: phone, channel: 'sms', purpose: input.purpose, ip: input.ip, deliver });
}

export async function registerWithCode(
  deps: Deps,
  input: { phone: string; code: string; password: string; nickname: string; email?: string },
  metadata: EventMetadata,
): Promise<AuthResult> {
  const phone = requirePhone(input.phone);
  const email = input.email ? normalizeEmail(input.email) : null;
  requireStrongPassword(input.password, [phone]);
  // The code comes first: only the owner of the phone learns whether it (or the e-mail) is taken.
  await consumeCode(deps, { to: phone, purpose: 'register', code: input.code });
  if (await reservedByLiveOwner(deps, 'phone', phone)) throw phoneTaken();
  if (email && (await reservedByLiveOwner(deps, 'email', email))) throw emailTaken();
  const user = await createUser(deps, { phone, email, nickname: input.nickname, password: input.password, roles: ['customer'] }, metadata);
  return startSession(deps, user.state, metadata, 'sms');
}

/** Creates a user: reserves phone and e-mail (the store refuses a second owner), then appends the user. */
export async function createUser(
  deps: Deps,
  input: { phone: string | null; email: string | null; nickname: string; password: string; roles: Role[] },
  metadata: EventMetadata,
): Promise<{ state: ActiveUser; position: number }> {
  const userId = ulid();
  const now = at(deps);
  const passwordHash = await hashPassword(input.password);
  const taken: Array<['phone' | 'email', string]> = [];
  try {
    if (input.phone) {
      await reserve(deps, 'phone', input.phone, userId, metadata);
      taken.push(['phone', input.phone]);
    }
    if (input.email) {
      await reserve(deps, 'email', input.email, userId, metadata);
      taken.push(['email', input.email]);
    }
    const result = await deps.handlers.user.handle(
      userStream(userId),
      { type: 'RegisterUser', userId, phone: input.phone, email: input.email, nickname: input.nickname, passwordHash, roles: input.roles, at: now },
      { metadata },
    );
    return { state: result.state as ActiveUser, position: result.position };
  } catch (error) {
    for (const [kind, value] of taken) {
      await deps.handlers.reservation.handle(reservationStream(kind, value), { type: 'Release', value, ownerId: userId, at: now }, { metadata });
    }
    throw error;
  }
}

async function reserve(deps: Deps, kind: 'phone' | 'email', value: string, ownerId: string, metadata: EventMetadata) {
  const stream = reservationStream(kind, value);
  const conflict = kind === 'phone' ? phoneTaken() : emailTaken();
  const command = { type: 'Reserve' as const, value, ownerId, at: at(deps), conflictCode: conflict.code, conflictMessage: conflict.message };
  try {
    await deps.handlers.reservation.handle(stream, command, { metadata });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const { state } = await deps.handlers.reservation.load(stream);
    const orphaned = state.ownerId !== null && !(await userExists(deps, state.ownerId)) && Date.parse(state.reservedAt ?? '') < deps.clock.now().getTime() - ORPHAN_RESERVATION_MS;
    if (!orphaned) throw error;
    await deps.handlers.reservation.handle(stream, { type: 'Release', value, ownerId: state.ownerId!, at: at(deps) }, { metadata });
    await deps.handlers.reservation.handle(stream, command, { metadata });
  }
}

async function reservedByLiveOwner(deps: Deps, kind: 'phone' | 'email', value: string): Promise<boolean> {
  const { state } = await deps.handlers.reservation.load(reservationStream(kind, value));
  return state.ownerId !== null && (await userExists(deps, state.ownerId));
}

async function userExists(deps: Deps, userId: string): Promise<boolean> {
  return (await deps.handlers.user.load(userStream(userId))).state.status === 'active';
}

// ---------- login ----------

export async function loginWithPassword(deps: Deps, input: { identifier: string; password: string; ip: string }, metadata: EventMetadata): Promise<AuthResult> {
  const identifier = normalizeIdentifier(input.identifier);
  const attempt = await guardLogin(deps, identifier?.value ?? input.identifier.trim().toLowerCase(), input.ip);
  const user = identifier ? await loadUser(deps, identifier) : null;
  const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), input.password);
  if (!user || !ok) throw new UnauthenticatedError('wrong identifier or password');
  await attempt.succeeded();
  return startSession(deps, user, metadata, 'password');
}

export async function loginWithCode(deps: Deps, input: { phone: string; code: string; ip: string }, metadata: EventMetadata): Promise<AuthResult> {
  const phone = requirePhone(input.phone);
  const attempt = await guardLogin(deps, phone, input.ip);
  const user = await loadUser(deps, { kind: 'phone', value: phone });
  if (!user) throw new InvalidCodeError();
  await consumeCode(deps, { to: phone, purpose: 'login', code: input.code });
  await attempt.succeeded();
  return startSession(deps, user, metadata, 'sms');
}

/**
 * Counts every sign-in attempt atomically before the secret is checked (so parallel guesses are
 * counted too); past the limits an attempt is slowed, then refused (429) for the window. A success
 * clears the account's count and gives its attempt back to the address.
 */
async function guardLogin(deps: Deps, identifier: string, ip: string) {
  const byIdentifier = windowCounter(deps.kv, 'login-attempt-id', LOGIN_WINDOW_MS);
  const byIp = windowCounter(deps.kv, 'login-attempt-ip', LOGIN_WINDOW_MS);
  const checkIp = deps.config.BAZAAR_LIMITS === 'strict';
  const idCount = await byIdentifier.hit(identifier);
  const ipCount = checkIp ? await byIp.hit(ip) : { count: 0, retryAfterSeconds: 0 };
  if (idCount.count > LOGIN_LIMITS.refuseAt) throw new RateLimitedError('too many failed sign-ins for this account; try again later', idCount.retryAfterSeconds);
  if (ipCount.count > LOGIN_LIMITS.perIpRefuseAt) throw new RateLimitedError('too many failed sign-ins from this address; try again later', ipCount.retryAfterSeconds);
  const excess = Math.max(idCount.count - LOGIN_LIMITS.slowAfter, ipCount.count - LOGIN_LIMITS.perIpSlowAfter, 0);
  if (excess > 0) await sleep(Math.min(excess * LOGIN_LIMITS.slowStepMs, LOGIN_LIMITS.slowMaxMs));
  return {
    succeeded: async () => {
      await byIdentifier.clear(identifier);
      if (checkIp) await byIp.give(ip);
    },
  };
}

async function startSession(deps: Deps, user: ActiveUser, metadata: EventMetadata, method: 'password' | 'sms'): Promise<AuthResult> {
  const now = deps.clock.now();
  const login = await deps.handlers.user.handle(userStream(user.userId), { type: 'RecordLogin', method, at: now.toISOString() }, { metadata });
  const familyId = ulid();
  const refresh = newRefreshToken(familyId);
  const session = await deps.handlers.session.handle(
    sessionStream(familyId),
    { type: 'StartSession', familyId, userId: user.userId, tokenHash: refresh.hash, expiresAt: refreshExpiry(deps, now), at: now.toISOString() },
    { metadata },
  );
  return {
    user: userView(login.state as ActiveUser, login.revision),
    accessToken: await deps.tokens.issueAccessToken({ userId: user.userId, roles: user.roles }, now),
    refreshToken: refresh.token,
    accessTokenExpiresIn: deps.tokens.accessTokenTtlSeconds,
    position: session.position,
  };
}

const refreshExpiry = (deps: Deps, now: Date) => new Date(now.getTime() + deps.tokens.refreshTokenTtlSeconds * 1000).toISOString();

// ---------- sessions ----------

export async function refreshSession(deps: Deps, refreshToken: string, metadata: EventMetadata): Promise<AuthResult> {
  const familyId = familyOf(refreshToken);
  const now = deps.clock.now();
  const next = newRefreshToken(familyId);
  const stream = sessionStream(familyId);
  const result = await deps.handlers.session.handle(
    stream,
    { type: 'RefreshSession', presentedHash: sha256(refreshToken), newHash: next.hash, expiresAt: refreshExpiry(deps, now), at: now.toISOString() },
    { metadata },
  );
  if (result.events.some((event) => event.type === 'SessionRevoked')) {
    throw new UnauthenticatedError('this refresh token was already used; every session of its sign-in is revoked, sign in again');
  }
  const session = result.state;
  if (session.status !== 'active') throw new UnauthenticatedError('the refresh token is invalid or expired');
  const { state: user, revision } = await deps.handlers.user.load(userStream(session.userId));
  if (user.status !== 'active' || user.passwordChangedAt > session.startedAt) {
    await deps.handlers.session.handle(stream, { type: 'RevokeSession', presentedHash: null, reason: 'password_changed', at: now.toISOString() }, { metadata });
    throw new UnauthenticatedError('the password changed since this sign-in; sign in again');
  }
  return {
    user: userView(user, revision),
    accessToken: await deps.tokens.issueAccessToken({ userId: user.userId, roles: user.roles }, now),
    refreshToken: next.token,
    accessTokenExpiresIn: deps.tokens.accessTokenTtlSeconds,
    position: result.position,
  };
}

export async function logout(deps: Deps, refreshToken: string, metadata: EventMetadata): Promise<void> {
  const familyId = familyOf(refreshToken);
  await deps.handlers.session.handle(
    sessionStream(familyId),
    { type: 'RevokeSession', presentedHash: sha256(refreshToken), reason: 'logout', at: at(deps) },
    { metadata },
  );
}

// ---------- password reset ----------

export async function forgotPassword(deps: Deps, input: { identifier: string; ip: string }): Promise<void> {
  const identifier = normalizeIdentifier(input.identifier);
  if (!identifier) return; // same answer as for an unknown account
  const exists = (await lookupUserId(deps, identifier.kind, identifier.value)) !== null;
  await issueCode(deps, {
    to: identifier.value,
    channel: identifier.kind === 'phone' ? 'sms' : 'email',
    purpose: 'reset_password',
    ip: input.ip,
    deliver: exists,
  });
}

export async function resetPassword(deps: Deps, input: { identifier: string; code: string; newPassword: string }, metadata: EventMetadata): Promise<number> {
  const identifier = normalizeIdentifier(input.identifier);
  const user = identifier ? await loadUser(deps, identifier) : null;
  if (!user || !identifier) throw new InvalidCodeError();
  requireStrongPassword(input.newPassword, [user.phone], 'newPassword');
  await consumeCode(deps, { to: identifier.value, purpose: 'reset_password', code: input.code });
  const passwordHash = await hashPassword(input.newPassword);
  const result = await deps.handlers.user.handle(userStream(user.userId), { type: 'ChangePassword', passwordHash, at: at(deps) }, { metadata });
  return result.position;
}

// ---------- admin ----------

/** Creates an admin with this e-mail, or grants the admin role to the existing owner of the e-mail. */
export async function ensureAdmin(deps: Deps, input: { email: string; password: string }, metadata: EventMetadata): Promise<{ userId: string; created: boolean }> {
  const email = normalizeEmail(input.email);
  const existing = await deps.handlers.reservation.load(reservationStream('email', email));
  if (existing.state.ownerId && (await userExists(deps, existing.state.ownerId))) {
    const { state } = await deps.handlers.user.load(userStream(existing.state.ownerId));
    if (state.status === 'active' && !state.roles.includes('admin')) {
      await deps.handlers.user.handle(userStream(state.userId), { type: 'SetRoles', roles: [...state.roles, 'admin'], at: at(deps) }, { metadata });
    }
    return { userId: existing.state.ownerId, created: false };
  }
  requireStrongPassword(input.password, []);
  const { state } = await createUser(deps, { phone: null, email, nickname: email.split('@')[0]!, password: input.password, roles: ['admin'] }, metadata);
  return { userId: state.userId, created: true };
}

// ---------- helpers ----------

type Identifier = { kind: 'email' | 'phone'; value: string };

function normalizeIdentifier(input: string): Identifier | null {
  if (looksLikeEmail(input)) return { kind: 'email', value: normalizeEmail(input) };
  const phone = normalizePhone(input);
  return phone ? { kind: 'phone', value: phone } : null;
}

/** Finds the user behind an e-mail or phone through the login lookup read model. */
export async function lookupUserId(deps: Deps, kind: 'email' | 'phone', value: string): Promise<string | null> {
  const find = async () => (await deps.views.get<{ userId: string }>(USER_LOGINS, loginKey(kind, value)))?.userId ?? null;
  const found = await find();
  if (found) return found;
  // A registration a moment ago may not be projected yet: wait (bounded) for the projection to reach the head.
  const head = await deps.store.headPosition();
  if (deps.projections.checkpoint('users') >= head) return null;
  await deps.projections.waitFor(head, 2000, ['users']);
  return find();
}

async function loadUser(deps: Deps, identifier: Identifier): Promise<ActiveUser | null> {
  const userId = await lookupUserId(deps, identifier.kind, identifier.value);
  if (!userId) return null;
  const { state } = await deps.handlers.user.load(userStream(userId));
  return state.status === 'active' ? state : null;
}

function requirePhone(input: string): string {
  const phone = normalizePhone(input);
  if (!phone) throw new ValidationError('invalid phone number', [{ path: 'phone', message: 'not a valid mobile number; use +<country code><number>, e.g. +8613800138000' }]);
  return phone;
}

function requireStrongPassword(password: string, phones: Array<string | null>, path = 'password') {
  const weakness = passwordWeakness(password, phones);
  if (weakness) throw new ValidationError('the password is too weak', [{ path, message: `password ${weakness}` }]);
}

const phoneTaken = () => new ConflictError('PHONE_TAKEN', 'this phone number is already registered; sign in instead');
const emailTaken = () => new ConflictError('EMAIL_TAKEN', 'this e-mail is already registered; sign in instead');
