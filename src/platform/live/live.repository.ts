import { sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';

export const LIVE_CHANNEL = 'rvr_live';

export class LiveRepository {
  constructor(private readonly db: Executor) {}

  /** Sent inside the caller's transaction, so listeners on every node hear of a change only once it is committed. */
  async notify(event: LiveEvent): Promise<void> {
    await this.db.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(event)})`);
  }
}

/** What browsers are told: ids and states only, never personal data (they fetch what they may see). */
export type LiveEvent =
  | { type: 'consultation'; id: string; state: string; at: string }
  | { type: 'availability'; userId: string; status: string; at: string }
  | { type: 'call'; id: string; at: string }
  /** "I'm not safe" raised on a victim's page, or acted on (RVR-11): for the officer's call page and the supervisor board. */
  | { type: 'safety_alert'; alertId: string; consultationId: string; callId: string | null; state: 'raised' | 'acknowledged' | 'escalated'; at: string }
  /** The victim's statement was shared, corrected or confirmed: the call pages fetch it again. */
  | { type: 'statement'; consultationId: string; callId: string | null; state: string; revision: number; at: string };
