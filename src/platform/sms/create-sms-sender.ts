import { NotifySmsSender } from './notify-sms-sender.js';
import { OutboxSmsSender } from './outbox-sms-sender.js';
import { SmsDeliveryError, type SmsMessage, type SmsReceipt, type SmsSender } from './sms-sender.js';
import { TwilioSmsSender } from './twilio-sms-sender.js';

export type SmsConfig =
  | { provider: 'outbox' }
  | { provider: 'notify'; apiKey: string; templateId: string; baseUrl: string | undefined }
  | {
      provider: 'twilio';
      accountSid: string;
      authToken: string;
      from: string | undefined;
      messagingServiceSid: string | undefined;
      baseUrl: string | undefined;
    };

const SEND_TIME_LIMIT_MS = 15_000;

/** The configured provider, with a time limit on every send (the Notify client sets none of its own). */
export function createSmsSender(config: SmsConfig): { sender: SmsSender; outbox: OutboxSmsSender | undefined } {
  switch (config.provider) {
    case 'outbox': {
      const outbox = new OutboxSmsSender();
      return { sender: outbox, outbox };
    }
    case 'notify':
      return { sender: timeLimited(new NotifySmsSender({ apiKey: config.apiKey, templateId: config.templateId, baseUrl: config.baseUrl })), outbox: undefined };
    case 'twilio':
      return {
        sender: timeLimited(
          new TwilioSmsSender({
            accountSid: config.accountSid,
            authToken: config.authToken,
            from: config.from,
            messagingServiceSid: config.messagingServiceSid,
            baseUrl: config.baseUrl,
          }),
        ),
        outbox: undefined,
      };
  }
}

function timeLimited(inner: SmsSender, limitMs = SEND_TIME_LIMIT_MS): SmsSender {
  return {
    provider: inner.provider,
    async send(message: SmsMessage): Promise<SmsReceipt> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SmsDeliveryError(`The ${inner.provider} text service did not answer within ${limitMs / 1000} s`, true)), limitMs);
      });
      try {
        return await Promise.race([inner.send(message), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
