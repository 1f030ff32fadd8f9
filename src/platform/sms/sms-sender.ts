/** One text message to one victim. `to` and `body` are personal data: they must never reach a log or an error message. */
export interface SmsMessage {
  /** E.164, e.g. +447700900123. */
  to: string;
  body: string;
  /** Our reference (e.g. the invite id), sent to the provider where it has a field for it. No personal data. */
  reference: string;
}

export interface SmsReceipt {
  provider: 'outbox' | 'notify' | 'twilio';
  providerMessageId: string;
}

/** Sends texts through one provider: the in-memory outbox (development and tests), GOV.UK Notify or Twilio. */
export interface SmsSender {
  readonly provider: SmsReceipt['provider'];
  send(message: SmsMessage): Promise<SmsReceipt>;
}

/**
 * A text the provider did not accept. `retryable` says whether sending the same text again later may work
 * (rate limits, provider outages, network trouble) or needs a person to fix something first (key, template, number).
 * The message names what to check but never the number or the text.
 */
export class SmsDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SmsDeliveryError';
  }
}

const PHONE_NUMBER_LIKE = /\+?\d[\d\s().-]{5,}\d/g;
const MAX_DETAIL_LENGTH = 300;

/** Provider error text can echo the recipient's number (Twilio's does) or the text itself; this strips both before we quote it. */
export function redactPersonalData(text: string, message: SmsMessage): string {
  let redacted = text;
  for (const personal of [message.body, message.to, message.to.replace(/^\+/, '')]) {
    if (personal.trim() !== '') redacted = redacted.split(personal).join('[redacted]');
  }
  return redacted.replace(PHONE_NUMBER_LIKE, '[number]').slice(0, MAX_DETAIL_LENGTH);
}
