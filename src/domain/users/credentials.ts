import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { LruMap } from '../../kernel/lru-map.js';

const normalizedPhones = new LruMap<string, string | null>(10_000);

/**
 * The E.164 form of a mobile number (numbers without a country code are read as Chinese), or null if
 * invalid. Memoized: parsing is costly and checkout validates the same numbers again and again.
 */
export function normalizePhone(input: string): string | null {
  const known = normalizedPhones.get(input);
  if (known !== undefined) return known;
  const normalized = parseMobile(input);
  normalizedPhones.set(input, normalized);
  return normalized;
}

function parseMobile(input: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), 'CN');
  if (!parsed || !parsed.isValid()) return null;
  const type = parsed.getType();
  if (type !== undefined && type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return null;
  return parsed.number;
}

export const normalizeEmail = (input: string): string => input.trim().toLowerCase();

export const looksLikeEmail = (input: string): boolean => input.includes('@');

const COMMON_PASSWORDS = new Set([
  'password', 'password1', 'password123', '12345678', '123456789', '1234567890', 'qwerty123', 'qwertyuiop',
  '11111111', '00000000', 'iloveyou1', 'abc12345', 'abcd1234', 'admin123', 'welcome1', 'letmein1', 'passw0rd',
  '1q2w3e4r', 'zaq12wsx', 'qwer1234', 'a1234567', 'woaini1314', '5201314520', 'aa123456', 'qq123456',
]);

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** Returns why a password is too weak, or null. `phones` are numbers the password must not contain. */
export function passwordWeakness(password: string, phones: Array<string | null | undefined> = []): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  if (classes < 2 || (!/[A-Za-z\p{L}]/u.test(password) && classes < 3)) {
    return 'must mix at least two of: lower-case letters, upper-case letters, digits, symbols';
  }
  if (/^(.)\1+$/.test(password) || COMMON_PASSWORDS.has(password.toLowerCase())) return 'is too common';
  const lowered = password.toLowerCase();
  for (const phone of phones) {
    if (phoneDigits(phone).some((digits) => lowered.includes(digits))) return 'must not contain your phone number';
  }
  return null;
}

/** A phone number's digits with and without its country code. */
function phoneDigits(phone: string | null | undefined): string[] {
  if (!phone) return [];
  const national = parsePhoneNumberFromString(phone)?.nationalNumber;
  return [phone.replace(/^\+/, ''), ...(national ? [national] : [])];
}
