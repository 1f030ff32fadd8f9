import { and, asc, eq, gt, lte, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { consultations, incidents } from '../consultations/consultations.schema.js';
import { safetyAlerts } from '../investigation/investigation.schema.js';
import { satisfactionSurveys } from './outcomes.schema.js';
import { callEvents, calls } from '../video/video.schema.js';

export type SurveyRow = typeof satisfactionSurveys.$inferSelect;

/**
 * The satisfaction survey's rows. States: scheduled → sending → sent → answered; or expired (never sent in time),
 * send_failed (the provider refused it). 'sending' is held only while the text is with the provider; sent_at is the
 * time it was handed to the provider.
 */
export class SurveysRepository {
  constructor(private readonly db: Executor) {}

  async schedule(row: { consultationId: string; tokenHash: string; sendAfter: Date; expiresAt: Date }): Promise<SurveyRow | undefined> {
    const [created] = await this.db
      .insert(satisfactionSurveys)
      .values({ ...row, state: 'scheduled' })
      .onConflictDoNothing({ target: satisfactionSurveys.consultationId })
      .returning();
    return created;
  }

  async findById(id: string): Promise<SurveyRow | undefined> {
    const [row] = await this.db.select().from(satisfactionSurveys).where(eq(satisfactionSurveys.id, id));
    return row;
  }

  async findByConsultation(consultationId: string): Promise<SurveyRow | undefined> {
    const [row] = await this.db.select().from(satisfactionSurveys).where(eq(satisfactionSurveys.consultationId, consultationId));
    return row;
  }

  async findByTokenHash(tokenHash: string): Promise<SurveyRow | undefined> {
    const [row] = await this.db.select().from(satisfactionSurveys).where(eq(satisfactionSurveys.tokenHash, tokenHash));
    return row;
  }

  /** Scheduled surveys whose link would already have expired: never sent. */
  async expireUnsent(at: Date): Promise<SurveyRow[]> {
    return this.db
      .update(satisfactionSurveys)
      .set({ state: 'expired' })
      .where(and(eq(satisfactionSurveys.state, 'scheduled'), lte(satisfactionSurveys.expiresAt, at)))
      .returning();
  }

  /** A send interrupted (the process stopped while the text was with the provider): not retried, in case it went. */
  async failStuckSends(olderThan: Date): Promise<SurveyRow[]> {
    return this.db
      .update(satisfactionSurveys)
      .set({ state: 'send_failed', sendError: 'Interrupted while sending; not retried in case the text was delivered' })
      .where(and(eq(satisfactionSurveys.state, 'sending'), lte(satisfactionSurveys.sentAt, olderThan)))
      .returning();
  }

  async listDue(at: Date, limit: number): Promise<SurveyRow[]> {
    return this.db
      .select()
      .from(satisfactionSurveys)
      .where(and(eq(satisfactionSurveys.state, 'scheduled'), lte(satisfactionSurveys.sendAfter, at), gt(satisfactionSurveys.expiresAt, at)))
      .orderBy(asc(satisfactionSurveys.sendAfter))
      .limit(limit);
  }

  /** Claims a due survey for sending and gives it the token of the link about to be texted (only its hash is kept). */
  async claimForSending(id: string, tokenHash: string, at: Date): Promise<boolean> {
    const claimed = await this.db
      .update(satisfactionSurveys)
      .set({ state: 'sending', tokenHash, sentAt: at })
      .where(and(eq(satisfactionSurveys.id, id), eq(satisfactionSurveys.state, 'scheduled')))
      .returning({ id: satisfactionSurveys.id });
    return claimed.length > 0;
  }

  async markSent(id: string, provider: string, providerMessageId: string): Promise<void> {
    await this.db
      .update(satisfactionSurveys)
      .set({ state: 'sent', provider, providerMessageId, sendError: null })
      .where(and(eq(satisfactionSurveys.id, id), eq(satisfactionSurveys.state, 'sending')));
  }

  /** `retry`: back to scheduled for the next run (until the link would expire); otherwise send_failed. */
  async markSendFailed(id: string, reason: string, retry: boolean): Promise<void> {
    await this.db
      .update(satisfactionSurveys)
      .set({ state: retry ? 'scheduled' : 'send_failed', sentAt: null, sendError: reason })
      .where(and(eq(satisfactionSurveys.id, id), eq(satisfactionSurveys.state, 'sending')));
  }

  /** Records the answer if the survey is still open: single use, decided by the database (a second answer updates nothing). */
  async answer(id: string, at: Date, rating: number, comment: string | null): Promise<boolean> {
    const answered = await this.db
      .update(satisfactionSurveys)
      .set({ state: 'answered', answeredAt: at, rating, comment })
      .where(and(eq(satisfactionSurveys.id, id), eq(satisfactionSurveys.state, 'sent'), gt(satisfactionSurveys.expiresAt, at)))
      .returning({ id: satisfactionSurveys.id });
    return answered.length > 0;
  }

  /** The victim used the quick exit or raised "I'm not safe" during the consultation (RVR-11). */
  async victimSignalledDanger(consultationId: string): Promise<boolean> {
    const [row] = await this.db
      .select({
        danger: sql<boolean>`exists (select 1 from ${callEvents} ce join ${calls} cl on cl.id = ce.call_id
          where cl.consultation_id = ${consultationId} and ce.type = 'quick_exit' and ce.role = 'victim')
          or exists (select 1 from ${safetyAlerts} sa where sa.consultation_id = ${consultationId})`,
      })
      .from(consultations)
      .where(eq(consultations.id, consultationId));
    return row?.danger === true || String(row?.danger) === 't';
  }

  /** The number to text, read from the incident when sending: never copied onto the survey. */
  /** Issue 17 §2: the language chosen at triage ('en' or 'cy'), for the survey's text. */
  async languageFor(consultationId: string): Promise<string> {
    const [row] = await this.db.select({ language: consultations.language }).from(consultations).where(eq(consultations.id, consultationId));
    return row?.language ?? 'en';
  }

  async phoneFor(consultationId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ phone: incidents.callerPhone })
      .from(consultations)
      .innerJoin(incidents, sql`${incidents.id} = ${consultations.incidentId}`)
      .where(eq(consultations.id, consultationId));
    return row?.phone;
  }
}
