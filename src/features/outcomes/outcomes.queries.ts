import { and, gte, lt, sql } from 'drizzle-orm';
import type { OutcomeKind } from '../../domain/outcomes.js';
import { ESCALATION_AFTER_ACCEPTANCE_FROM, NO_OFFICER_AVAILABLE_REASON, type ConsultationFacts } from '../../domain/outcome-measures.js';
import type { Executor } from '../../platform/db/database.js';
import { consultationEvents, consultations, incidents } from '../consultations/consultations.schema.js';
import { triages } from '../control-room/control-room.schema.js';
import { consultationOutcomes, riskAssessments } from '../investigation/investigation.schema.js';
import { satisfactionSurveys } from './outcomes.schema.js';
import { callEvents, calls } from '../video/video.schema.js';
import { evaluationAllocations } from '../evaluation/evaluation.schema.js';

const seconds = (later: unknown, earlier: unknown) =>
  sql<number | null>`extract(epoch from (${later} - ${earlier}))::float8`.mapWith((v) => (v === null ? null : Number(v)));

const hasOutcome = (kind: OutcomeKind) =>
  sql<boolean>`exists (select 1 from ${consultationOutcomes} o where o.consultation_id = ${consultations.id} and o.kind = ${kind})`;

/**
 * Reads, for each consultation triaged in a time range, the facts the outcome measures are computed from
 * (src/domain/outcome-measures.ts). Everything comes from the stored timestamps and events; nothing is cached.
 * A read model across features (incidents, consultations, triage, calls, investigation): read-only.
 */
export class OutcomesQueries {
  constructor(private readonly db: Executor) {}

  async consultationFacts(start: Date, end: Date): Promise<ConsultationFacts[]> {
    const escalatedFrom = sql.join(
      ESCALATION_AFTER_ACCEPTANCE_FROM.map((s) => sql`${s}`),
      sql`, `,
    );
    const rows = await this.db
      .select({
        consultationId: consultations.id,
        triagedAt: consultations.triagedAt,
        eligible: sql<boolean>`exists (select 1 from ${consultationEvents} e where e.consultation_id = ${consultations.id} and e.to_state = 'triaged_eligible')`,
        consented: sql<boolean>`coalesce(${triages.videoConsentAt} is not null and ${triages.recordingConsentAt} is not null, false)`,
        connected: sql<boolean>`${consultations.connectedAt} is not null`,
        secondsToOfficer: seconds(consultations.connectedAt, incidents.receivedAt),
        secondsQueued: seconds(consultations.acceptedAt, consultations.queuedAt),
        officerSeconds: seconds(consultations.endedAt, consultations.acceptedAt),
        videoSeconds: sql<number | null>`(select sum(extract(epoch from (cl.ended_at - cl.connected_at)))::float8 from ${calls} cl
          where cl.consultation_id = ${consultations.id} and cl.connected_at is not null and cl.ended_at is not null)`.mapWith((v) =>
          v === null ? null : Number(v),
        ),
        noOfficerAvailable: sql<boolean>`exists (select 1 from ${consultationEvents} e where e.consultation_id = ${consultations.id}
          and e.to_state = 'escalated_to_attendance' and e.from_state = 'queued' and lower(trim(e.reason)) = lower(${NO_OFFICER_AVAILABLE_REASON}))`,
        escalated: sql<boolean>`(exists (select 1 from ${consultationEvents} e where e.consultation_id = ${consultations.id}
          and e.to_state = 'escalated_to_attendance' and e.from_state in (${escalatedFrom})) or ${hasOutcome('attendance_escalated')})`,
        arrestRequested: hasOutcome('arrest_requested'),
        maracReferral: sql<boolean>`coalesce((select ra.marac_referral from ${riskAssessments} ra where ra.consultation_id = ${consultations.id}
          and ra.state <> 'draft' order by ra.version desc limit 1), false)`,
        quickExit: sql<boolean>`exists (select 1 from ${callEvents} ce join ${calls} cl on cl.id = ce.call_id
          where cl.consultation_id = ${consultations.id} and ce.type = 'quick_exit' and ce.role = 'victim')`,
        surveySent: sql<boolean>`coalesce(${satisfactionSurveys.state} in ('sent', 'answered'), false)`,
        rating: satisfactionSurveys.rating,
        // Policy 2.2: the breakdowns (sex asked at triage, optional; relationship; the trial arm).
        victimSex: sql<string | null>`${triages.answers}->>'victimSex'`,
        relationship: incidents.relationship,
        arm: sql<string | null>`(select a.arm from ${evaluationAllocations} a where a.consultation_id = ${consultations.id})`,
      })
      .from(consultations)
      .innerJoin(incidents, sql`${incidents.id} = ${consultations.incidentId}`)
      .leftJoin(triages, sql`${triages.consultationId} = ${consultations.id}`)
      .leftJoin(satisfactionSurveys, sql`${satisfactionSurveys.consultationId} = ${consultations.id}`)
      .where(and(gte(consultations.triagedAt, start), lt(consultations.triagedAt, end)));
    // Drivers differ in how they hand back booleans from expressions; normalise to real booleans.
    return rows.map((r) => ({
      ...r,
      eligible: truthy(r.eligible),
      consented: truthy(r.consented),
      connected: truthy(r.connected),
      noOfficerAvailable: truthy(r.noOfficerAvailable),
      escalated: truthy(r.escalated),
      arrestRequested: truthy(r.arrestRequested),
      maracReferral: truthy(r.maracReferral),
      quickExit: truthy(r.quickExit),
      surveySent: truthy(r.surveySent),
    }));
  }
}

function truthy(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
