import { and, eq, ne, notInArray, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { calls, recordings } from '../video/video.schema.js';
import { mediaNodes } from './media-nodes.schema.js';

export type MediaNodeRow = typeof mediaNodes.$inferSelect;
export type MediaNodeState = 'active' | 'draining' | 'gone';

/** Heartbeats are stamped and compared by the database's clock, so the nodes' clocks need not agree. */
const lapsedBefore = (seconds: number) => sql`now() - make_interval(secs => ${seconds})`;

export class MediaNodesRepository {
  constructor(private readonly db: Executor) {}

  /** This node, (re)registered: a restart with the same id takes over its row. */
  async register(row: { id: string; internalUrl: string; roles: string[]; capacity: number; state: MediaNodeState }): Promise<void> {
    const values = { ...row, load: 0, startedAt: sql`now()`, heartbeatAt: sql`now()` };
    await this.db.insert(mediaNodes).values(values).onConflictDoUpdate({ target: mediaNodes.id, set: values });
  }

  /** A node that is placing a call is alive: its row is made if missing and its heartbeat stamped (a draining node stays draining). */
  async touch(row: { id: string; internalUrl: string; roles: string[]; capacity: number }): Promise<void> {
    await this.db
      .insert(mediaNodes)
      .values({ ...row, load: 0, state: 'active', startedAt: sql`now()`, heartbeatAt: sql`now()` })
      .onConflictDoUpdate({
        target: mediaNodes.id,
        set: { heartbeatAt: sql`now()`, state: sql`case when ${mediaNodes.state} = 'draining' then 'draining' else 'active' end` },
      });
  }

  /** A beat; returns the state the row was in (a node the reaper took for gone while it was paused becomes active again). */
  async beat(id: string, load: number, state: Exclude<MediaNodeState, 'gone'>): Promise<string | undefined> {
    const before = this.db.select({ state: mediaNodes.state }).from(mediaNodes).where(eq(mediaNodes.id, id));
    const [row] = await before;
    await this.db
      .update(mediaNodes)
      .set({ load, state, heartbeatAt: sql`now()` })
      .where(eq(mediaNodes.id, id));
    return row?.state;
  }

  async setState(id: string, state: MediaNodeState): Promise<void> {
    await this.db.update(mediaNodes).set({ state }).where(eq(mediaNodes.id, id));
  }

  async find(id: string): Promise<MediaNodeRow | undefined> {
    const [row] = await this.db.select().from(mediaNodes).where(eq(mediaNodes.id, id));
    return row;
  }

  /** Whether the node is registered and not marked gone (only the reaper decides a node is lost; a draining node still hosts its calls). */
  async isNotGone(id: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: mediaNodes.id })
      .from(mediaNodes)
      .where(and(eq(mediaNodes.id, id), ne(mediaNodes.state, 'gone')));
    return row !== undefined;
  }

  /**
   * The active media node with the fewest open calls and room for one more, locked until the placing transaction
   * ends so placements on one node take turns. Load is counted from the calls themselves (capacity is soft by the
   * placements that were waiting on the lock: their count was read before it).
   */
  async leastLoaded(lapseSeconds: number, avoid: readonly string[] = []): Promise<string | undefined> {
    const openCalls = sql<number>`(select count(*)::int from ${calls} where ${calls.mediaNodeId} = ${mediaNodes.id} and ${calls.state} = 'open')`;
    const [row] = await this.db
      .select({ id: mediaNodes.id })
      .from(mediaNodes)
      .where(
        and(
          eq(mediaNodes.state, 'active'),
          sql`${mediaNodes.roles} @> '["media"]'::jsonb`,
          sql`${mediaNodes.heartbeatAt} >= ${lapsedBefore(lapseSeconds)}`,
          sql`${openCalls} < ${mediaNodes.capacity}`,
          avoid.length > 0 ? notInArray(mediaNodes.id, [...avoid]) : undefined,
        ),
      )
      .orderBy(openCalls, sql`random()`)
      .limit(1)
      .for('update', { of: mediaNodes });
    return row?.id;
  }

  /** Every other node not yet marked gone whose heartbeat lapsed, with how long ago it last beat. */
  async listLapsed(selfId: string, lapseSeconds: number): Promise<{ id: string; internalUrl: string; silentSeconds: number }[]> {
    return this.db
      .select({
        id: mediaNodes.id,
        internalUrl: mediaNodes.internalUrl,
        silentSeconds: sql<number>`extract(epoch from now() - ${mediaNodes.heartbeatAt})::float8`,
      })
      .from(mediaNodes)
      .where(and(ne(mediaNodes.state, 'gone'), ne(mediaNodes.id, selfId), sql`${mediaNodes.heartbeatAt} < ${lapsedBefore(lapseSeconds)}`));
  }

  /** Marks the node gone if its heartbeat is still lapsed; one statement, so of several reapers only one sees it. */
  async markGoneIfLapsed(id: string, lapseSeconds: number): Promise<boolean> {
    const rows = await this.db
      .update(mediaNodes)
      .set({ state: 'gone' })
      .where(and(eq(mediaNodes.id, id), ne(mediaNodes.state, 'gone'), sql`${mediaNodes.heartbeatAt} < ${lapsedBefore(lapseSeconds)}`))
      .returning({ id: mediaNodes.id });
    return rows.length > 0;
  }

  /** Open calls whose owning node is gone: the reaper ends them as interrupted. */
  async openCallsOnGoneNodes(): Promise<{ callId: string; nodeId: string }[]> {
    return this.db
      .select({ callId: calls.id, nodeId: mediaNodes.id })
      .from(calls)
      .innerJoin(mediaNodes, eq(mediaNodes.id, calls.mediaNodeId))
      .where(and(eq(calls.state, 'open'), eq(mediaNodes.state, 'gone')));
  }

  /** Segments still being written (or left unfinished) on a node's disk: only that node can repair them. */
  async countUnfinishedRecordings(nodeId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(recordings)
      .where(and(eq(recordings.mediaNodeId, nodeId), eq(recordings.status, 'recording')));
    return row?.n ?? 0;
  }
}
