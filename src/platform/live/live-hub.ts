import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { LIVE_CHANNEL, type LiveEvent } from './live.repository.js';

type Listener = (event: LiveEvent) => void;

/**
 * One LISTEN per process, fanned out to every open browser stream on this node. With several nodes each
 * listens on the same database channel, so a change on one node reaches browsers on all of them.
 */
export class LiveHub {
  private readonly listeners = new Set<Listener>();
  private stop: (() => Promise<void>) | undefined;

  constructor(private readonly logger: Logger) {}

  async start(database: Database): Promise<void> {
    this.stop = await database.listen(LIVE_CHANNEL, (payload) => {
      let event: LiveEvent;
      try {
        event = JSON.parse(payload) as LiveEvent;
      } catch {
        return;
      }
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.warn({ err: error }, 'live listener failed');
        }
      }
    });
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    // The database may already be gone (shutdown after a failure); there is nothing left to unlisten from then.
    await this.stop?.().catch(() => undefined);
    this.stop = undefined;
  }
}
