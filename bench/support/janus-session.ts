// A minimal client of Janus's HTTP API (one session, long-polled for events) for the synthetic participants of
// bench/media-load.ts: create a session, attach janus.plugin.videoroom handles, send plugin messages (with a JSEP)
// and wait for the plugin's asynchronous reply with the same transaction.
import crypto from 'node:crypto';

export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

interface JanusMessage {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: Jsep;
}

export interface PluginReply {
  data: Record<string, unknown>;
  jsep: Jsep | undefined;
}

export class JanusSession {
  private sessionUrl = '';
  private polling = false;
  private readonly waiting = new Map<string, { resolve: (reply: PluginReply) => void; reject: (error: Error) => void }>();

  constructor(private readonly baseUrl: string) {}

  private async post(url: string, body: Record<string, unknown>): Promise<JanusMessage> {
    const response = await fetch(url, { method: 'POST', body: JSON.stringify({ ...body, transaction: body.transaction ?? crypto.randomUUID() }) });
    const message = (await response.json()) as JanusMessage;
    if (message.janus === 'error') throw new Error(`janus: ${message.error?.reason ?? 'error'}`);
    return message;
  }

  async create(): Promise<void> {
    const created = await this.post(this.baseUrl, { janus: 'create' });
    this.sessionUrl = `${this.baseUrl}/${created.data!.id}`;
    this.polling = true;
    void this.poll();
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      try {
        const response = await fetch(`${this.sessionUrl}?maxev=20`);
        const body = (await response.json()) as JanusMessage | JanusMessage[];
        for (const message of Array.isArray(body) ? body : [body]) this.dispatch(message);
      } catch {
        if (this.polling) await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private dispatch(message: JanusMessage): void {
    if (message.janus !== 'event' || !message.transaction) return;
    const waiter = this.waiting.get(message.transaction);
    if (!waiter) return;
    this.waiting.delete(message.transaction);
    const data = message.plugindata?.data ?? {};
    if (typeof data.error === 'string') waiter.reject(new Error(`videoroom: ${data.error}`));
    else waiter.resolve({ data, jsep: message.jsep });
  }

  async attach(plugin = 'janus.plugin.videoroom'): Promise<number> {
    const attached = await this.post(this.sessionUrl, { janus: 'attach', plugin });
    return attached.data!.id;
  }

  /** A plugin request; synchronous requests are answered at once, asynchronous ones by an event on the long poll. */
  async message(handle: number, body: Record<string, unknown>, jsep?: Jsep, timeoutMs = 30_000): Promise<PluginReply> {
    const transaction = crypto.randomUUID();
    const reply = new Promise<PluginReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(transaction);
        reject(new Error(`janus: no reply to ${String(body.request)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(transaction, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    // The event can arrive on the long poll before this POST returns: the rejection is handled by our caller.
    reply.catch(() => undefined);
    const sent = await this.post(`${this.sessionUrl}/${handle}`, { janus: 'message', body, transaction, ...(jsep ? { jsep } : {}) });
    if (sent.janus === 'success') {
      const settle = this.waiting.get(transaction);
      this.waiting.delete(transaction);
      const data = sent.plugindata?.data ?? {};
      if (typeof data.error === 'string') settle?.reject(new Error(`videoroom: ${data.error}`));
      else settle?.resolve({ data, jsep: sent.jsep });
    }
    return reply;
  }

  async trickleCompleted(handle: number): Promise<void> {
    await this.post(`${this.sessionUrl}/${handle}`, { janus: 'trickle', candidate: { completed: true } });
  }

  async destroy(): Promise<void> {
    this.polling = false;
    if (this.sessionUrl) await this.post(this.sessionUrl, { janus: 'destroy' }).catch(() => undefined);
  }
}
