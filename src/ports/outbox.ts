/** Outbox port: messages to people (SMS, e-mail). The dev adapter records them for /api/v1/dev/outbox. */
export interface OutgoingMessage {
  to: string;
  channel: 'sms' | 'email';
  purpose: string;
  code?: string;
  text: string;
}

export interface SentMessage extends OutgoingMessage {
  sentAt: string;
}

export interface Outbox {
  send(message: OutgoingMessage): Promise<void>;
}

/** The dev outbox can also be read back (embedded default only). */
export interface ReadableOutbox extends Outbox {
  sentTo(to: string, limit?: number): Promise<SentMessage[]>;
}
