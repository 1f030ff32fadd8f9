import { NotifyClient } from 'notifications-node-client';
import { SmsDeliveryError, redactPersonalData, type SmsMessage, type SmsReceipt, type SmsSender } from './sms-sender.js';

export const NOTIFY_PRODUCTION_URL = 'https://api.notifications.service.gov.uk';

export interface NotifySmsSenderOptions {
  apiKey: string;
  /** An SMS template whose whole content is `((body))`. */
  templateId: string;
  baseUrl?: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// The client takes the service id and secret from the last 73 characters without checking them; a mangled key
// would only show up as 403s at the first text, so it is refused here instead.
const API_KEY_SHAPE = new RegExp(`^.+-${UUID}-${UUID}$`, 'i');
const TEMPLATE_ID_SHAPE = new RegExp(`^${UUID}$`, 'i');

interface NotifyErrorBody {
  errors?: { error?: unknown; message?: unknown }[];
}

/** Sends texts through GOV.UK Notify with its official client. */
export class NotifySmsSender implements SmsSender {
  readonly provider = 'notify';
  private readonly client: NotifyClient;
  private readonly templateId: string;

  constructor(options: NotifySmsSenderOptions) {
    if (!API_KEY_SHAPE.test(options.apiKey)) {
      throw new Error('GOV.UK Notify API key is malformed: copy the whole key from Notify (its name, then the service id and secret key)');
    }
    if (!TEMPLATE_ID_SHAPE.test(options.templateId)) throw new Error('GOV.UK Notify template id must be the template UUID shown in Notify');
    this.templateId = options.templateId;
    this.client = new NotifyClient((options.baseUrl ?? NOTIFY_PRODUCTION_URL).replace(/\/+$/, ''), options.apiKey);
  }

  async send(message: SmsMessage): Promise<SmsReceipt> {
    let id: unknown;
    try {
      const response = await this.client.sendSms(this.templateId, message.to, { personalisation: { body: message.body }, reference: message.reference });
      id = (response.data as { id?: unknown } | undefined)?.id;
    } catch (error) {
      // The client's errors are axios errors, whose config holds the request body (number and text): never pass them on.
      throw deliveryErrorFrom(error, message);
    }
    // Notify accepted the text, so sending again could text the victim twice.
    if (typeof id !== 'string' || id === '') throw new SmsDeliveryError('GOV.UK Notify accepted the text but returned no notification id', false);
    return { provider: this.provider, providerMessageId: id };
  }
}

function deliveryErrorFrom(error: unknown, message: SmsMessage): SmsDeliveryError {
  const { response, code } = (error ?? {}) as { response?: { status?: unknown; data?: unknown }; code?: unknown };
  const status = response?.status;
  if (typeof status !== 'number') {
    const reason = typeof code === 'string' ? code : 'no response';
    return new SmsDeliveryError(`Could not reach GOV.UK Notify (${reason}); the text can be retried`, true);
  }
  const detail = redactPersonalData(notifyErrorDetail(response?.data), message);
  const said = detail ? `: ${detail}` : '';
  if (status === 403) {
    return new SmsDeliveryError(
      `GOV.UK Notify refused the API key (HTTP 403${said}); check the Notify API key is complete, not revoked and for this service`,
      false,
      status,
    );
  }
  if (status === 400) {
    return new SmsDeliveryError(
      `GOV.UK Notify rejected the text (HTTP 400${said}); check the template id, that the template is an SMS template of just ((body)), ` +
        'that the recipient number is a valid mobile number, and that a team or trial key is allowed to text it',
      false,
      status,
    );
  }
  if (status === 429) return new SmsDeliveryError(`GOV.UK Notify rate limit reached (HTTP 429${said}); the text can be retried`, true, status);
  if (status >= 500) return new SmsDeliveryError(`GOV.UK Notify is unavailable (HTTP ${status}${said}); the text can be retried`, true, status);
  return new SmsDeliveryError(`GOV.UK Notify refused the text (HTTP ${status}${said}); check the Notify settings`, false, status);
}

function notifyErrorDetail(data: unknown): string {
  const errors = (data as NotifyErrorBody | undefined)?.errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .map((entry) => [entry.error, entry.message].filter((part) => typeof part === 'string').join(' '))
    .filter((text) => text !== '')
    .join('; ');
}
