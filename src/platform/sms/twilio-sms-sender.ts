import { SmsDeliveryError, redactPersonalData, type SmsMessage, type SmsReceipt, type SmsSender } from './sms-sender.js';

export const TWILIO_PRODUCTION_URL = 'https://api.twilio.com';

export interface TwilioSmsSenderOptions {
  accountSid: string;
  authToken: string;
  /** Sender number or alphanumeric sender id. Exactly one of `from` and `messagingServiceSid`. */
  from?: string;
  messagingServiceSid?: string;
  baseUrl?: string;
  timeoutMs?: number;
}

const ACCOUNT_SID_SHAPE = /^AC[0-9a-f]{32}$/i;
const MESSAGING_SERVICE_SID_SHAPE = /^MG[0-9a-f]{32}$/i;

interface TwilioErrorBody {
  code?: unknown;
  message?: unknown;
}

/** Sends texts through Twilio's Messages API over plain HTTPS (no SDK). */
export class TwilioSmsSender implements SmsSender {
  readonly provider = 'twilio';
  private readonly messagesUrl: string;
  private readonly authorization: string;
  private readonly sender: { From: string } | { MessagingServiceSid: string };
  private readonly timeoutMs: number;

  constructor(options: TwilioSmsSenderOptions) {
    // The account SID goes into the URL path, so its shape is checked rather than trusted.
    if (!ACCOUNT_SID_SHAPE.test(options.accountSid)) throw new Error('Twilio account SID must be AC followed by 32 hex characters');
    if (!options.authToken) throw new Error('Twilio auth token is required');
    const { from, messagingServiceSid } = options;
    if (from && messagingServiceSid) throw new Error('Twilio needs either a sender number (from) or a messaging service SID, not both');
    if (messagingServiceSid) {
      if (!MESSAGING_SERVICE_SID_SHAPE.test(messagingServiceSid)) throw new Error('Twilio messaging service SID must be MG followed by 32 hex characters');
      this.sender = { MessagingServiceSid: messagingServiceSid };
    } else if (from) {
      this.sender = { From: from };
    } else {
      throw new Error('Twilio needs exactly one of a sender number (from) or a messaging service SID');
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error('Twilio timeout must be a positive number of milliseconds');
    this.timeoutMs = timeoutMs;
    const baseUrl = (options.baseUrl ?? TWILIO_PRODUCTION_URL).replace(/\/+$/, '');
    this.messagesUrl = `${baseUrl}/2010-04-01/Accounts/${options.accountSid}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  }

  async send(message: SmsMessage): Promise<SmsReceipt> {
    const form = new URLSearchParams({ To: message.to, Body: message.body, ...this.sender });
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.messagesUrl, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new SmsDeliveryError(`Twilio did not answer within ${this.timeoutMs} ms; the text can be retried`, true);
      }
      throw new SmsDeliveryError(`Could not reach Twilio (${networkReason(error)}); the text can be retried`, true);
    }
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      const sid = (body as { sid?: unknown } | undefined)?.sid;
      // Twilio accepted the text, so sending again could text the victim twice.
      if (typeof sid !== 'string' || sid === '')
        throw new SmsDeliveryError(`Twilio accepted the text (HTTP ${status}) but returned no message SID`, false, status);
      return { provider: this.provider, providerMessageId: sid };
    }
    throw deliveryErrorFrom(status, body as TwilioErrorBody | undefined, message);
  }
}

function deliveryErrorFrom(status: number, body: TwilioErrorBody | undefined, message: SmsMessage): SmsDeliveryError {
  const code = typeof body?.code === 'number' ? `Twilio error ${body.code}` : 'no Twilio error code';
  const detail = typeof body?.message === 'string' ? `: ${redactPersonalData(body.message, message)}` : '';
  const said = `HTTP ${status}, ${code}${detail}`;
  if (status === 429) return new SmsDeliveryError(`Twilio rate limit reached (${said}); the text can be retried`, true, status);
  if (status >= 500) return new SmsDeliveryError(`Twilio is unavailable (${said}); the text can be retried`, true, status);
  if (status === 401 || status === 403) {
    return new SmsDeliveryError(`Twilio refused the credentials (${said}); check the Twilio account SID and auth token`, false, status);
  }
  if (status === 404) return new SmsDeliveryError(`Twilio does not know the account (${said}); check the Twilio account SID`, false, status);
  return new SmsDeliveryError(`Twilio rejected the text (${said}); check the recipient number and the sender number or messaging service SID`, false, status);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function networkReason(error: unknown): string {
  // fetch reports "fetch failed" and puts the system error (ECONNREFUSED, ENOTFOUND, ...) in `cause`.
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.name : 'network error';
}
