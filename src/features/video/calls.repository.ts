import { and, asc, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { consultations } from '../consultations/consultations.schema.js';
import { callConsents, callEvents, callInvites, callParticipants, calls, chatMessages } from './video.schema.js';

export type CallRow = typeof calls.$inferSelect;
export type InviteRow = typeof callInvites.$inferSelect;
export type ParticipantRow = typeof callParticipants.$inferSelect;
export type CallEventRow = typeof callEvents.$inferSelect;
export type ChatMessageRow = typeof chatMessages.$inferSelect;

export class CallsRepository {
  constructor(private readonly db: Executor) {}

  /** The officer who took a consultation (by its id, or its call's id), if anyone has: the live audience asks it. */
  async assignedOfficer(about: { consultationId: string } | { callId: string }): Promise<string | null> {
    const [row] =
      'callId' in about
        ? await this.db
            .select({ officerId: consultations.officerId })
            .from(calls)
            .innerJoin(consultations, eq(consultations.id, calls.consultationId))
            .where(eq(calls.id, about.callId))
        : await this.db.select({ officerId: consultations.officerId }).from(consultations).where(eq(consultations.id, about.consultationId));
    return row?.officerId ?? null;
  }

  async create(row: { consultationId: string; openedAt: Date; mediaNodeId: string | null }): Promise<CallRow> {
    const [created] = await this.db
      .insert(calls)
      .values({ ...row, state: 'open' })
      .returning();
    return created!;
  }

  async findById(id: string): Promise<CallRow | undefined> {
    const [row] = await this.db.select().from(calls).where(eq(calls.id, id));
    return row;
  }

  /** Row-locks the call so concurrent joins, ends and reconnect timers apply one at a time. */
  async lock(id: string): Promise<CallRow | undefined> {
    const [row] = await this.db.select().from(calls).where(eq(calls.id, id)).for('update');
    return row;
  }

  async findOpenByConsultation(consultationId: string): Promise<CallRow | undefined> {
    const [row] = await this.db
      .select()
      .from(calls)
      .where(and(eq(calls.consultationId, consultationId), eq(calls.state, 'open')));
    return row;
  }

  /** The consultation's most recent call, open or not. */
  async latestByConsultation(consultationId: string): Promise<CallRow | undefined> {
    const [row] = await this.db.select().from(calls).where(eq(calls.consultationId, consultationId)).orderBy(desc(calls.openedAt)).limit(1);
    return row;
  }

  async listByConsultation(consultationId: string): Promise<CallRow[]> {
    return this.db.select().from(calls).where(eq(calls.consultationId, consultationId)).orderBy(asc(calls.openedAt));
  }

  /** The open calls a node owns (and, for the node that recovers them, those opened before media nodes existed). */
  async listOpenOwnedBy(nodeId: string): Promise<CallRow[]> {
    return this.db
      .select()
      .from(calls)
      .where(and(eq(calls.state, 'open'), or(eq(calls.mediaNodeId, nodeId), isNull(calls.mediaNodeId))));
  }

  async markConnected(id: string, at: Date): Promise<boolean> {
    const updated = await this.db
      .update(calls)
      .set({ connectedAt: at })
      .where(and(eq(calls.id, id), isNull(calls.connectedAt)))
      .returning({ id: calls.id });
    return updated.length > 0;
  }

  async end(id: string, state: 'ended' | 'interrupted', at: Date, endedBy: string, reason: string): Promise<boolean> {
    const updated = await this.db
      .update(calls)
      .set({ state, endedAt: at, endedBy, endReason: reason })
      .where(and(eq(calls.id, id), eq(calls.state, 'open')))
      .returning({ id: calls.id });
    return updated.length > 0;
  }

  async saveNotes(id: string, notes: string, at: Date): Promise<void> {
    await this.db.update(calls).set({ officerNotes: notes, notesUpdatedAt: at }).where(eq(calls.id, id));
  }

  // Invites

  async createInvite(row: {
    callId: string;
    role: string;
    label: string | null;
    tokenHash: string;
    expiresAt: Date;
    createdBy: string | null;
    /** Issue 17 §2: the language of the text, 'en' or 'cy'. */
    language?: string;
  }): Promise<InviteRow> {
    const [created] = await this.db.insert(callInvites).values(row).returning();
    return created!;
  }

  async findInviteByTokenHash(tokenHash: string): Promise<InviteRow | undefined> {
    const [row] = await this.db.select().from(callInvites).where(eq(callInvites.tokenHash, tokenHash));
    return row;
  }

  async findInvite(id: string): Promise<InviteRow | undefined> {
    const [row] = await this.db.select().from(callInvites).where(eq(callInvites.id, id));
    return row;
  }

  async listInvites(callId: string): Promise<InviteRow[]> {
    return this.db.select().from(callInvites).where(eq(callInvites.callId, callId)).orderBy(asc(callInvites.createdAt));
  }

  async markInviteSent(id: string, at: Date, provider: string, providerMessageId: string): Promise<void> {
    await this.db.update(callInvites).set({ sentAt: at, provider, providerMessageId, sendError: null }).where(eq(callInvites.id, id));
  }

  async markInviteSendFailed(id: string, error: string): Promise<void> {
    await this.db.update(callInvites).set({ sendError: error }).where(eq(callInvites.id, id));
  }

  /** Single use: only the first redemption of a live, unexpired invite succeeds. */
  async redeemInvite(id: string, at: Date): Promise<boolean> {
    const updated = await this.db
      .update(callInvites)
      .set({ openedAt: at })
      .where(and(eq(callInvites.id, id), isNull(callInvites.openedAt), isNull(callInvites.revokedAt), gt(callInvites.expiresAt, at)))
      .returning({ id: callInvites.id });
    return updated.length > 0;
  }

  async stampInvite(id: string, column: 'consentAt' | 'joinedAt', at: Date): Promise<void> {
    const target = column === 'consentAt' ? callInvites.consentAt : callInvites.joinedAt;
    await this.db
      .update(callInvites)
      .set({ [column]: at })
      .where(and(eq(callInvites.id, id), isNull(target)));
  }

  /** Revokes every live invite of this role in the call; returns the ids revoked. */
  async revokeInvites(callId: string, role: string, at: Date, reason: string): Promise<string[]> {
    const revoked = await this.db
      .update(callInvites)
      .set({ revokedAt: at, revokedReason: reason })
      .where(and(eq(callInvites.callId, callId), eq(callInvites.role, role), isNull(callInvites.revokedAt)))
      .returning({ id: callInvites.id });
    return revoked.map((r) => r.id);
  }

  /** An unopened link of an interrupted call is made a link to the call that resumes it (the texted link works again). */
  async moveInvite(id: string, callId: string): Promise<void> {
    await this.db.update(callInvites).set({ callId }).where(eq(callInvites.id, id));
  }

  // Participants

  async createParticipant(row: {
    callId: string;
    role: string;
    userId?: string | null;
    inviteId?: string | null;
    sessionHash?: string | null;
    sessionExpiresAt?: Date | null;
  }): Promise<ParticipantRow> {
    const [created] = await this.db.insert(callParticipants).values(row).returning();
    return created!;
  }

  async findParticipant(id: string): Promise<ParticipantRow | undefined> {
    const [row] = await this.db.select().from(callParticipants).where(eq(callParticipants.id, id));
    return row;
  }

  async findParticipantBySessionHash(sessionHash: string): Promise<ParticipantRow | undefined> {
    const [row] = await this.db.select().from(callParticipants).where(eq(callParticipants.sessionHash, sessionHash));
    return row;
  }

  async findStaffParticipant(callId: string, userId: string, role: string): Promise<ParticipantRow | undefined> {
    const [row] = await this.db
      .select()
      .from(callParticipants)
      .where(and(eq(callParticipants.callId, callId), eq(callParticipants.userId, userId), eq(callParticipants.role, role)));
    return row;
  }

  async listParticipants(callId: string): Promise<ParticipantRow[]> {
    return this.db.select().from(callParticipants).where(eq(callParticipants.callId, callId)).orderBy(asc(callParticipants.createdAt));
  }

  async updateParticipant(
    id: string,
    values: Partial<Pick<ParticipantRow, 'joinedAt' | 'lastSeenAt' | 'leftAt' | 'leftReason' | 'sessionExpiresAt'>>,
  ): Promise<void> {
    await this.db.update(callParticipants).set(values).where(eq(callParticipants.id, id));
  }

  /**
   * A link-holder's session of an interrupted call becomes their place in the call that resumes it: the same cookie,
   * a new participant row (the session hash is unique, so the old row gives it up first).
   */
  async moveLinkSession(from: ParticipantRow, callId: string): Promise<ParticipantRow> {
    await this.db.update(callParticipants).set({ sessionHash: null }).where(eq(callParticipants.id, from.id));
    return this.createParticipant({ callId, role: from.role, inviteId: from.inviteId, sessionHash: from.sessionHash, sessionExpiresAt: from.sessionExpiresAt });
  }

  /** Ends every link session of the call: a link-holder's cookie stops working the moment the call ends. */
  async expireLinkSessions(callId: string, at: Date): Promise<void> {
    await this.db
      .update(callParticipants)
      .set({ sessionExpiresAt: at })
      .where(and(eq(callParticipants.callId, callId), gt(callParticipants.sessionExpiresAt, at)));
  }

  // Consents, events, chat

  async recordConsent(row: {
    callId: string;
    participantId: string;
    videoConsent: boolean;
    recordingConsent: boolean;
    wording: string;
    /** Issue 17 §2: 'en' or 'cy', the language the wording was shown in. */
    language?: string;
    givenAt: Date;
  }): Promise<void> {
    await this.db.insert(callConsents).values(row);
  }

  /** The latest consent this participant gave on this call (both must match: a consent never carries across calls). */
  async findConsent(callId: string, participantId: string) {
    const [row] = await this.db
      .select()
      .from(callConsents)
      .where(and(eq(callConsents.callId, callId), eq(callConsents.participantId, participantId)))
      .orderBy(desc(callConsents.givenAt))
      .limit(1);
    return row;
  }

  async insertEvent(row: {
    callId: string;
    type: string;
    participantId?: string | null;
    role?: string | null;
    details?: Record<string, unknown> | null;
    at: Date;
  }): Promise<void> {
    await this.db.insert(callEvents).values(row);
  }

  async listEvents(callId: string): Promise<CallEventRow[]> {
    return this.db.select().from(callEvents).where(eq(callEvents.callId, callId)).orderBy(asc(callEvents.id));
  }

  async countEvents(callId: string, type: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(callEvents)
      .where(and(eq(callEvents.callId, callId), eq(callEvents.type, type)));
    return row?.n ?? 0;
  }

  async insertChat(row: { callId: string; participantId: string; role: string; text: string; at: Date }): Promise<ChatMessageRow> {
    const [created] = await this.db.insert(chatMessages).values(row).returning();
    return created!;
  }

  async listChat(callId: string): Promise<ChatMessageRow[]> {
    return this.db.select().from(chatMessages).where(eq(chatMessages.callId, callId)).orderBy(asc(chatMessages.id));
  }
}
