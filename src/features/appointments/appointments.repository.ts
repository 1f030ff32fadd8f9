import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { users } from '../../platform/auth/identity.schema.js';
import { consultations, incidents } from '../consultations/consultations.schema.js';
import { appointments } from './appointments.schema.js';

export type AppointmentRow = typeof appointments.$inferSelect;

/** An appointment as the staff lists show it: with its consultation's reference and its officer's name. */
export interface AppointmentListing {
  id: string;
  consultationId: string;
  reference: string;
  /** The consultation's officer now; null while an appointment booked at triage waits for one. */
  officerName: string | null;
  slot: Date;
  reason: string;
  status: string;
  changeRequests: number;
  requestedSlot: Date | null;
  requestedBestTime: string | null;
  changeRequestedAt: Date | null;
  missedAt: Date | null;
}

const OPEN = ['booked', 'reminded'];

/** The appointments table (issue 17 §4). Status changes are conditional updates, so two nodes never both act. */
export class AppointmentsRepository {
  constructor(private readonly db: Executor) {}

  async create(row: {
    consultationId: string;
    officerId: string | null;
    slot: Date;
    reason: string;
    pageTokenHash: string;
    bookedBy: string;
  }): Promise<AppointmentRow> {
    const [created] = await this.db
      .insert(appointments)
      .values({ ...row, status: 'booked' })
      .returning();
    return created!;
  }

  async findById(id: string): Promise<AppointmentRow | undefined> {
    const [row] = await this.db.select().from(appointments).where(eq(appointments.id, id));
    return row;
  }

  async findByTokenHash(tokenHash: string): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .select()
      .from(appointments)
      .where(or(eq(appointments.pageTokenHash, tokenHash), eq(appointments.reminderTokenHash, tokenHash)));
    return row;
  }

  /** The consultation's newest appointment, whatever its status. */
  async findLatestByConsultation(consultationId: string): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .select()
      .from(appointments)
      .where(eq(appointments.consultationId, consultationId))
      .orderBy(sql`${appointments.createdAt} desc`)
      .limit(1);
    return row;
  }

  /** Cancels the consultation's open appointments (a rebooking, or the consultation ended): the ids cancelled. */
  async cancelOpen(consultationId: string, at: Date): Promise<string[]> {
    const rows = await this.db
      .update(appointments)
      .set({ status: 'cancelled', cancelledAt: at })
      .where(and(eq(appointments.consultationId, consultationId), inArray(appointments.status, OPEN)))
      .returning({ id: appointments.id });
    return rows.map((r) => r.id);
  }

  /** Booked appointments an officer holds whose slot is at or before `latestSlot` (the reminder is due for some of them). */
  async listBookedUpTo(latestSlot: Date, limit: number): Promise<AppointmentRow[]> {
    return this.db
      .select()
      .from(appointments)
      .where(and(eq(appointments.status, 'booked'), isNotNull(appointments.officerId), lte(appointments.slot, latestSlot)))
      .orderBy(asc(appointments.slot))
      .limit(limit);
  }

  /** Open appointments whose slot is before `slotBefore` (their window has closed). */
  async listOpenBefore(slotBefore: Date, limit: number): Promise<AppointmentRow[]> {
    return this.db
      .select()
      .from(appointments)
      .where(and(inArray(appointments.status, OPEN), lt(appointments.slot, slotBefore)))
      .orderBy(asc(appointments.slot))
      .limit(limit);
  }

  /** booked → reminded, once (the node that wins the update texts it). */
  async claimReminder(id: string, reminderTokenHash: string, at: Date): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .update(appointments)
      .set({ status: 'reminded', reminderSentAt: at, reminderTokenHash })
      .where(and(eq(appointments.id, id), eq(appointments.status, 'booked')))
      .returning();
    return row;
  }

  /** An appointment booked at triage gets its officer, once (the first officer to take it). */
  async assignOfficer(id: string, officerId: string): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .update(appointments)
      .set({ officerId })
      .where(and(eq(appointments.id, id), isNull(appointments.officerId), eq(appointments.status, 'booked')))
      .returning();
    return row;
  }

  async markBookingTextSent(id: string, at: Date): Promise<void> {
    await this.db.update(appointments).set({ bookingTextSentAt: at, sendError: null }).where(eq(appointments.id, id));
  }

  async markSendError(id: string, error: string): Promise<void> {
    await this.db.update(appointments).set({ sendError: error }).where(eq(appointments.id, id));
  }

  /** booked or reminded → joined, once. */
  async markJoined(id: string, at: Date): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .update(appointments)
      .set({ status: 'joined', joinedAt: at })
      .where(and(eq(appointments.id, id), inArray(appointments.status, OPEN)))
      .returning();
    return row;
  }

  /** booked or reminded → missed, once: a follow-up for a supervisor. */
  async markMissed(id: string, at: Date): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .update(appointments)
      .set({ status: 'missed', missedAt: at })
      .where(and(eq(appointments.id, id), inArray(appointments.status, OPEN)))
      .returning();
    return row;
  }

  /** The victim's request for another time, counted; refused (undefined) once `max` requests were made. */
  async recordChangeRequest(
    id: string,
    request: { requestedSlot: Date | null; requestedBestTime: string | null },
    max: number,
    at: Date,
  ): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .update(appointments)
      .set({ ...request, changeRequestedAt: at, changeRequests: sql`${appointments.changeRequests} + 1` })
      .where(and(eq(appointments.id, id), lt(appointments.changeRequests, max)))
      .returning();
    return row;
  }

  async completeFollowUp(id: string, by: string, note: string, at: Date): Promise<AppointmentRow | undefined> {
    const [row] = await this.db
      .update(appointments)
      .set({ followUpDoneAt: at, followUpDoneBy: by, followUpNote: note })
      .where(and(eq(appointments.id, id), eq(appointments.status, 'missed'), isNull(appointments.followUpDoneAt)))
      .returning();
    return row;
  }

  /** The number the call handler took, read only to text it. */
  async phoneFor(consultationId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ phone: incidents.callerPhone })
      .from(consultations)
      .innerJoin(incidents, eq(incidents.id, consultations.incidentId))
      .where(eq(consultations.id, consultationId));
    return row?.phone;
  }

  /** With the officer holding the consultation now (after a reassignment, not the booking one); none yet for a triage booking. */
  private listing() {
    return this.db
      .select({
        id: appointments.id,
        consultationId: appointments.consultationId,
        reference: consultations.reference,
        officerName: users.displayName,
        slot: appointments.slot,
        reason: appointments.reason,
        status: appointments.status,
        changeRequests: appointments.changeRequests,
        requestedSlot: appointments.requestedSlot,
        requestedBestTime: appointments.requestedBestTime,
        changeRequestedAt: appointments.changeRequestedAt,
        missedAt: appointments.missedAt,
      })
      .from(appointments)
      .innerJoin(consultations, eq(consultations.id, appointments.consultationId))
      .leftJoin(users, eq(users.id, consultations.officerId));
  }

  /** Booked and reminded appointments, soonest first (the RVR queue page). */
  async listUpcoming(): Promise<AppointmentListing[]> {
    return this.listing().where(inArray(appointments.status, OPEN)).orderBy(asc(appointments.slot));
  }

  /** Missed appointments nobody has followed up yet (the supervisor's list). */
  async listMissedFollowUps(): Promise<AppointmentListing[]> {
    return this.listing()
      .where(and(eq(appointments.status, 'missed'), isNull(appointments.followUpDoneAt)))
      .orderBy(asc(appointments.slot));
  }
}
