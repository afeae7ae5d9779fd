import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValue } from '../../ports/key-value.js';

/**
 * Console sessions. The browser holds only an opaque id in an HttpOnly, SameSite=Strict cookie scoped to
 * /admin; the access and refresh tokens the API issued stay on the server, in the key-value store
 * (in-process by default, Redis in production, so every API process sees every session), under the id's
 * sha256 (a leaked store dump does not hand out live cookies). A session lives at most SESSION_TTL_MS
 * from sign-in; its access token is refreshed through POST /api/v1/auth/refresh when it nears expiry.
 */
export const SESSION_COOKIE = 'bazaar_console';
/** Before sign-in: the CSRF token of the sign-in and language forms (double submit). */
export const PRE_SESSION_COOKIE = 'bazaar_console_csrf';
export const LANG_COOKIE = 'bazaar_lang';
export const COOKIE_PATH = '/admin';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface ConsoleSession {
  userId: string;
  roles: string[];
  nickname: string;
  accessToken: string;
  /** null when signed in with a pasted access token: the session ends with that token. */
  refreshToken: string | null;
  /** ms since the epoch, from the access token's `exp`. */
  accessExpiresAt: number;
  /** The synchronizer token every state-changing request must carry. */
  csrf: string;
  createdAt: number;
}

export const newSecret = (): string => randomBytes(32).toString('base64url');
const keyOf = (id: string) => `console:session:${createHash('sha256').update(id).digest('base64url')}`;

/** `exp` of a JWT (ms), read without verifying: the API verifies the token on every call. */
export function tokenExpiry(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** The claims of a JWT the API has accepted (a service token may have no profile behind it). */
export function tokenClaims(token: string): { userId: string; roles: string[] } {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string; roles?: string[] };
    return { userId: String(payload.sub ?? ''), roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [] };
  } catch {
    return { userId: '', roles: [] };
  }
}

export function sameSecret(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class SessionStore {
  constructor(private readonly kv: KeyValue) {}

  async create(session: Omit<ConsoleSession, 'csrf' | 'createdAt'>, now: number): Promise<{ id: string; session: ConsoleSession }> {
    const id = newSecret();
    const full: ConsoleSession = { ...session, csrf: newSecret(), createdAt: now };
    await this.kv.set(keyOf(id), JSON.stringify(full), { ttlMs: SESSION_TTL_MS });
    return { id, session: full };
  }

  async get(id: string): Promise<{ raw: string; session: ConsoleSession } | null> {
    if (!/^[\w-]{20,100}$/.test(id)) return null;
    const raw = await this.kv.get(keyOf(id));
    return raw ? { raw, session: JSON.parse(raw) as ConsoleSession } : null;
  }

  /** Replaces the session only if nobody else did since `raw` was read (two tabs refreshing at once). */
  async replace(id: string, raw: string, session: ConsoleSession, now: number): Promise<boolean> {
    const left = session.createdAt + SESSION_TTL_MS - now;
    if (left <= 0) return false;
    return this.kv.compareAndSet(keyOf(id), raw, JSON.stringify(session), { ttlMs: left });
  }

  async delete(id: string): Promise<void> {
    await this.kv.del(keyOf(id));
  }
}
