import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/database.js';
import { userRoles, users } from '../../platform/auth/identity.schema.js';
import { consultations } from '../consultations/consultations.schema.js';
import { evidenceItems, evidenceTasks } from '../evidence/evidence.schema.js';
import { evidenceRedactions } from '../evidence/redaction/redaction.schema.js';
import { calls } from '../video/video.schema.js';
import { breakGlassGrants, caseAssignments } from './case-access.schema.js';

import type { CaseRef } from '../../platform/http/access.js';

export type { CaseRef };

export type CaseAssignmentRow = typeof caseAssignments.$inferSelect;
export type BreakGlassRow = typeof breakGlassGrants.$inferSelect;

export class CaseAccessRepository {
  constructor(private readonly db: Executor) {}

  /** The consultation behind an id of the given kind, with its officer; undefined when there is no such thing. */
  async caseOf(ref: CaseRef, id: string): Promise<{ consultationId: string; officerId: string | null } | undefined> {
    const consultationId = await this.consultationIdOf(ref, id);
    if (!consultationId) return undefined;
    const [row] = await this.db
      .select({ consultationId: consultations.id, officerId: consultations.officerId })
      .from(consultations)
      .where(eq(consultations.id, consultationId));
    return row;
  }

  private async consultationIdOf(ref: CaseRef, id: string): Promise<string | undefined> {
    const table = {
      consultation: { table: consultations, id: consultations.id, consultationId: consultations.id },
      call: { table: calls, id: calls.id, consultationId: calls.consultationId },
      evidence_item: { table: evidenceItems, id: evidenceItems.id, consultationId: evidenceItems.consultationId },
      redaction: { table: evidenceRedactions, id: evidenceRedactions.id, consultationId: evidenceRedactions.consultationId },
      evidence_task: { table: evidenceTasks, id: evidenceTasks.id, consultationId: evidenceTasks.consultationId },
    }[ref];
    const [row] = await this.db.select({ consultationId: table.consultationId }).from(table.table).where(eq(table.id, id));
    return row?.consultationId ?? undefined;
  }

  async findConsultationByReference(reference: string): Promise<{ id: string; reference: string } | undefined> {
    const [row] = await this.db
      .select({ id: consultations.id, reference: consultations.reference })
      .from(consultations)
      .where(eq(consultations.reference, reference));
    return row;
  }

  async isAssigned(consultationId: string, userId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: caseAssignments.id })
      .from(caseAssignments)
      .where(and(eq(caseAssignments.consultationId, consultationId), eq(caseAssignments.userId, userId), isNull(caseAssignments.endedAt)));
    return rows.length > 0;
  }

  /** The latest expiry of this user's break-glass grants on the case still running at `now`, if any. */
  async breakGlassUntil(consultationId: string, userId: string, now: Date): Promise<Date | null> {
    const [row] = await this.db
      .select({ until: sql<Date | string | null>`max(${breakGlassGrants.expiresAt})` })
      .from(breakGlassGrants)
      .where(and(eq(breakGlassGrants.consultationId, consultationId), eq(breakGlassGrants.userId, userId), gt(breakGlassGrants.expiresAt, now)));
    return row?.until ? new Date(row.until) : null;
  }

  async assign(row: { consultationId: string; userId: string; assignedBy: string; assignedAt: Date; reason: string }): Promise<CaseAssignmentRow | undefined> {
    const [created] = await this.db.insert(caseAssignments).values(row).onConflictDoNothing().returning();
    return created;
  }

  async findAssignment(id: string): Promise<CaseAssignmentRow | undefined> {
    const [row] = await this.db.select().from(caseAssignments).where(eq(caseAssignments.id, id));
    return row;
  }

  async endAssignment(id: string, by: string, at: Date, reason: string): Promise<CaseAssignmentRow | undefined> {
    const [row] = await this.db
      .update(caseAssignments)
      .set({ endedAt: at, endedBy: by, endReason: reason })
      .where(and(eq(caseAssignments.id, id), isNull(caseAssignments.endedAt)))
      .returning();
    return row;
  }

  /** A case's assignments, live and ended, newest first, with the people's names. */
  async assignmentsOf(consultationId: string) {
    const investigator = alias(users, 'investigator');
    const giver = alias(users, 'giver');
    return this.db
      .select({
        id: caseAssignments.id,
        userId: caseAssignments.userId,
        investigator: investigator.displayName,
        assignedBy: giver.displayName,
        assignedAt: caseAssignments.assignedAt,
        reason: caseAssignments.reason,
        endedAt: caseAssignments.endedAt,
        endReason: caseAssignments.endReason,
      })
      .from(caseAssignments)
      .innerJoin(investigator, eq(investigator.id, caseAssignments.userId))
      .innerJoin(giver, eq(giver.id, caseAssignments.assignedBy))
      .where(eq(caseAssignments.consultationId, consultationId))
      .orderBy(desc(caseAssignments.assignedAt));
  }

  /** The cases an investigator holds now: by assignment, or by break-glass still running. */
  async casesOf(userId: string, now: Date) {
    const assigned = await this.db
      .select({ consultationId: consultations.id, reference: consultations.reference, state: consultations.state, since: caseAssignments.assignedAt })
      .from(caseAssignments)
      .innerJoin(consultations, eq(consultations.id, caseAssignments.consultationId))
      .where(and(eq(caseAssignments.userId, userId), isNull(caseAssignments.endedAt)))
      .orderBy(desc(caseAssignments.assignedAt));
    const breakGlass = await this.db
      .select({ consultationId: consultations.id, reference: consultations.reference, state: consultations.state, until: breakGlassGrants.expiresAt })
      .from(breakGlassGrants)
      .innerJoin(consultations, eq(consultations.id, breakGlassGrants.consultationId))
      .where(and(eq(breakGlassGrants.userId, userId), gt(breakGlassGrants.expiresAt, now)))
      .orderBy(desc(breakGlassGrants.expiresAt));
    return { assigned, breakGlass };
  }

  async createBreakGlass(row: { consultationId: string; userId: string; reason: string; grantedAt: Date; expiresAt: Date }): Promise<BreakGlassRow> {
    const [created] = await this.db.insert(breakGlassGrants).values(row).returning();
    return created!;
  }

  /** Every break-glass use, newest first, for the DPO: who, which case, why, until when, reviewed or not. */
  async listBreakGlass(limit = 200) {
    const reviewer = alias(users, 'reviewer');
    return this.db
      .select({
        id: breakGlassGrants.id,
        consultationId: breakGlassGrants.consultationId,
        reference: consultations.reference,
        username: users.username,
        displayName: users.displayName,
        reason: breakGlassGrants.reason,
        grantedAt: breakGlassGrants.grantedAt,
        expiresAt: breakGlassGrants.expiresAt,
        reviewedAt: breakGlassGrants.dpoReviewedAt,
        reviewedBy: reviewer.displayName,
      })
      .from(breakGlassGrants)
      .innerJoin(consultations, eq(consultations.id, breakGlassGrants.consultationId))
      .innerJoin(users, eq(users.id, breakGlassGrants.userId))
      .leftJoin(reviewer, eq(reviewer.id, breakGlassGrants.dpoReviewedBy))
      .orderBy(desc(breakGlassGrants.grantedAt))
      .limit(limit);
  }

  async markBreakGlassReviewed(id: string, by: string, at: Date): Promise<BreakGlassRow | undefined> {
    const [row] = await this.db
      .update(breakGlassGrants)
      .set({ dpoReviewedAt: at, dpoReviewedBy: by })
      .where(and(eq(breakGlassGrants.id, id), isNull(breakGlassGrants.dpoReviewedAt)))
      .returning();
    return row;
  }

  async countUnreviewedBreakGlass(): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(breakGlassGrants)
      .where(isNull(breakGlassGrants.dpoReviewedAt));
    return Number(row?.n ?? 0);
  }

  /** Active investigators, to choose from when assigning. */
  async investigators(): Promise<{ id: string; displayName: string; username: string }[]> {
    return this.db
      .select({ id: users.id, displayName: users.displayName, username: users.username })
      .from(users)
      .innerJoin(userRoles, eq(userRoles.userId, users.id))
      .where(and(eq(userRoles.role, 'investigator'), isNull(users.disabledAt)))
      .orderBy(users.displayName);
  }
}
