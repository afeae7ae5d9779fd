import type { Logger } from 'pino';
import type { OutgoingMessage, ReadableOutbox, SentMessage } from '../../ports/outbox.js';

const KEEP = 1000;

/** The dev outbox: keeps the last messages in memory for /api/v1/dev/outbox and logs each one. */
export function devOutbox(logger: Logger, now: () => Date = () => new Date()): ReadableOutbox {
  const sent: SentMessage[] = [];
  return {
    async send(message: OutgoingMessage) {
      sent.push({ ...message, sentAt: now().toISOString() });
      if (sent.length > KEEP) sent.splice(0, sent.length - KEEP);
      logger.info({ to: message.to, purpose: message.purpose, code: message.code }, 'dev outbox: message sent');
    },
    async sentTo(to: string, limit = 20) {
      const wanted = to.trim().toLowerCase();
      return sent.filter((message) => message.to.toLowerCase() === wanted).reverse().slice(0, limit);
    },
  };
}
