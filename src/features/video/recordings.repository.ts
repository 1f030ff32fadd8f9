import { and, asc, eq, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { evidenceItems } from '../evidence/evidence.schema.js';
import type { MediaClock } from './media/media-clock.js';
import { recordings, snapshots } from './video.schema.js';

export type RecordingRow = typeof recordings.$inferSelect;
export type SnapshotRow = typeof snapshots.$inferSelect;

export class RecordingsRepository {
  constructor(private readonly db: Executor) {}

  async nextSegment(callId: string, role: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`coalesce(max(${recordings.segment}), 0)::int` })
      .from(recordings)
      .where(and(eq(recordings.callId, callId), eq(recordings.role, role)));
    return (row?.n ?? 0) + 1;
  }

  async create(row: {
    callId: string;
    consultationId: string;
    participantId: string;
    role: string;
    segment: number;
    fileKey: string;
    tracks: string[];
    startedAt: Date;
    mediaNodeId?: string | null;
  }): Promise<RecordingRow> {
    const [created] = await this.db
      .insert(recordings)
      .values({ ...row, status: 'recording' })
      .returning();
    return created!;
  }

  async findById(id: string): Promise<RecordingRow | undefined> {
    const [row] = await this.db.select().from(recordings).where(eq(recordings.id, id));
    return row;
  }

  async findByFileKey(fileKey: string): Promise<RecordingRow | undefined> {
    const [row] = await this.db.select().from(recordings).where(eq(recordings.fileKey, fileKey));
    return row;
  }

  async finish(
    id: string,
    values: {
      status: 'finalised' | 'repaired' | 'empty';
      endedAt: Date;
      firstPacketAt: Date | null;
      /** Optional: a recording repaired after a restart has no sender-report start. */
      mediaStartedAt?: Date | null;
      mediaClock?: MediaClock | null;
      durationMs: number | null;
      sha256: string | null;
      sizeBytes: number | null;
    },
  ): Promise<void> {
    await this.db
      .update(recordings)
      .set(values)
      .where(and(eq(recordings.id, id), eq(recordings.status, 'recording')));
  }

  async listByCall(callId: string): Promise<RecordingRow[]> {
    return this.db.select().from(recordings).where(eq(recordings.callId, callId)).orderBy(asc(recordings.role), asc(recordings.segment));
  }

  /** Segments left unfinished on this node's disk (and any written before media nodes existed). */
  async listUnfinishedOn(nodeId: string): Promise<RecordingRow[]> {
    return this.db
      .select()
      .from(recordings)
      .where(and(eq(recordings.status, 'recording'), or(eq(recordings.mediaNodeId, nodeId), isNull(recordings.mediaNodeId))));
  }

  async createSnapshot(row: {
    callId: string;
    consultationId: string;
    fileKey: string;
    mediaType: string;
    sha256: string;
    sizeBytes: number;
    takenBy: string | null;
    takenAt: Date;
  }): Promise<SnapshotRow> {
    const [created] = await this.db.insert(snapshots).values(row).returning();
    return created!;
  }

  async findSnapshot(id: string): Promise<SnapshotRow | undefined> {
    const [row] = await this.db.select().from(snapshots).where(eq(snapshots.id, id));
    return row;
  }

  async listSnapshots(callId: string): Promise<SnapshotRow[]> {
    return this.db.select().from(snapshots).where(eq(snapshots.callId, callId)).orderBy(asc(snapshots.takenAt));
  }

  /** Finished (hashed) recordings and snapshots that no evidence item has been made from yet. */
  async listFinishedWithoutEvidence(): Promise<
    ({ type: 'recording'; row: RecordingRow & { sha256: string; sizeBytes: number } } | { type: 'snapshot'; row: SnapshotRow })[]
  > {
    const registered = this.db.select({ sourceId: evidenceItems.sourceId }).from(evidenceItems);
    const finished = await this.db
      .select()
      .from(recordings)
      .where(
        and(
          inArray(recordings.status, ['finalised', 'repaired']),
          isNotNull(recordings.sha256),
          sql`('recording:' || ${recordings.id}::text) not in ${registered}`,
        ),
      )
      .orderBy(asc(recordings.startedAt));
    const stills = await this.db
      .select()
      .from(snapshots)
      .where(sql`('snapshot:' || ${snapshots.id}::text) not in ${registered}`)
      .orderBy(asc(snapshots.takenAt));
    return [
      ...finished.map((row) => ({ type: 'recording' as const, row: row as RecordingRow & { sha256: string; sizeBytes: number } })),
      ...stills.map((row) => ({ type: 'snapshot' as const, row })),
    ];
  }
}
