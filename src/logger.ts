import pino, { type Logger } from 'pino';

/** Structured JSON logs; secrets are redacted wherever they appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'bazaar' },
    redact: {
      paths: ['password', 'newPassword', 'passwordHash', 'refreshToken', 'accessToken', '*.password', '*.passwordHash', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
