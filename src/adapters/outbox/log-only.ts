import type { Logger } from 'pino';
import type { Outbox } from '../../ports/outbox.js';

/**
 * Production placeholder until an SMS / e-mail provider adapter is configured: records that a message
 * was due, never its code, and warns so an operator notices.
 */
export function logOnlyOutbox(logger: Logger): Outbox {
  return {
    async send(message) {
      logger.warn({ to: message.to, channel: message.channel, purpose: message.purpose }, 'no SMS/e-mail provider configured: message not delivered');
    },
  };
}
