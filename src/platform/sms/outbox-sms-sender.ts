import { randomUUID } from 'node:crypto';
import type { SmsMessage, SmsReceipt, SmsSender } from './sms-sender.js';

export interface OutboxEntry {
  id: string;
  to: string;
  body: string;
  reference: string;
  sentAt: Date;
}

export const OUTBOX_CAPACITY = 200;

/** Keeps texts in memory instead of sending them, for development and tests. Configuration refuses it in production. */
export class OutboxSmsSender implements SmsSender {
  readonly provider = 'outbox';
  private entries: OutboxEntry[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  async send(message: SmsMessage): Promise<SmsReceipt> {
    const entry: OutboxEntry = { id: randomUUID(), to: message.to, body: message.body, reference: message.reference, sentAt: this.now() };
    this.entries = [entry, ...this.entries].slice(0, OUTBOX_CAPACITY);
    return { provider: this.provider, providerMessageId: entry.id };
  }

  /** Newest first. Copies, so callers cannot rewrite what was "sent". */
  list(): OutboxEntry[] {
    return this.entries.map((entry) => ({ ...entry, sentAt: new Date(entry.sentAt) }));
  }

  clear(): void {
    this.entries = [];
  }
}
