import { randomInt, timingSafeEqual } from 'node:crypto';
import { DomainError, RateLimitedError } from '../../kernel/errors.js';
import { windowCounter } from '../../kernel/rate-limit.js';
import type { Deps } from '../../deps.js';

export type CodePurpose = 'register' | 'login' | 'reset_password';

export const CODE_TTL_SECONDS = 300;
export const CODE_RESEND_SECONDS = 60;
export const CODE_MAX_WRONG_TRIES = 5;
const CODES_PER_IP_PER_HOUR = 30;

export class InvalidCodeError extends DomainError {
  constructor() {
    super('INVALID_CODE', 'the code is wrong, used or expired; request a new one');
  }
}

const codeKey = (purpose: CodePurpose, to: string) => `code:${purpose}:${to}`;
const triesKey = (purpose: CodePurpose, to: string) => `code-tries:${purpose}:${to}`;

type CodeDeps = Pick<Deps, 'kv' | 'outbox' | 'config'>;

/**
 * Issues a one-time code to a phone (or e-mail, for password reset). One per recipient per 60 s;
 * per-IP volume is capped unless limits are relaxed. `deliver: false` keeps the answer identical
 * without sending, so callers can hide whether an account exists.
 */
export async function issueCode(
  deps: CodeDeps,
  input: { to: string; channel: 'sms' | 'email'; purpose: CodePurpose; ip: string; deliver: boolean },
): Promise<{ expiresInSeconds: number }> {
  const resendAllowed = await deps.kv.set(`code-resend:${input.to}`, '1', { ttlMs: CODE_RESEND_SECONDS * 1000, ifAbsent: true });
  if (!resendAllowed) {
    const wait = Math.ceil(((await deps.kv.ttl(`code-resend:${input.to}`)) ?? CODE_RESEND_SECONDS * 1000) / 1000);
    throw new RateLimitedError(`a code was sent to this number less than ${CODE_RESEND_SECONDS} s ago; try again in ${wait} s`, wait);
  }
  if (deps.config.BAZAAR_LIMITS === 'strict') {
    const perIp = await windowCounter(deps.kv, 'code-ip', 60 * 60 * 1000).hit(input.ip);
    if (perIp.count > CODES_PER_IP_PER_HOUR) throw new RateLimitedError('too many codes requested from this address', perIp.retryAfterSeconds);
  }
  if (input.deliver) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await deps.kv.set(codeKey(input.purpose, input.to), code, { ttlMs: CODE_TTL_SECONDS * 1000 });
    await deps.kv.del(triesKey(input.purpose, input.to));
    const what = { register: 'registration', login: 'login', reset_password: 'password reset' }[input.purpose];
    await deps.outbox.send({
      to: input.to,
      channel: input.channel,
      purpose: input.purpose,
      code,
      text: `Your Bazaar ${what} code is ${code}. It expires in ${CODE_TTL_SECONDS / 60} minutes. Never share it.`,
    });
  }
  return { expiresInSeconds: CODE_TTL_SECONDS };
}

/** Consumes a code: right → true once (single use); wrong → InvalidCodeError; after 5 wrong tries the code is void. */
export async function consumeCode(deps: Pick<Deps, 'kv'>, input: { to: string; purpose: CodePurpose; code: string }): Promise<void> {
  const key = codeKey(input.purpose, input.to);
  const expected = await deps.kv.get(key);
  if (expected === null) throw new InvalidCodeError();
  const tries = await deps.kv.incr(triesKey(input.purpose, input.to), 1, { ttlMs: CODE_TTL_SECONDS * 1000 });
  if (tries > CODE_MAX_WRONG_TRIES) {
    await deps.kv.del(key);
    throw new InvalidCodeError();
  }
  const matches = expected.length === input.code.length && timingSafeEqual(Buffer.from(expected), Buffer.from(input.code));
  if (!matches) {
    if (tries >= CODE_MAX_WRONG_TRIES) await deps.kv.del(key);
    throw new InvalidCodeError();
  }
  // Only one of several concurrent right answers deletes the code.
  if (!(await deps.kv.del(key))) throw new InvalidCodeError();
  await deps.kv.del(triesKey(input.purpose, input.to));
}
