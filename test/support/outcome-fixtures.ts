import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/platform/db/database.js';
import { consultationEvents, consultations, incidents } from '../../src/features/consultations/consultations.schema.js';
import { triages } from '../../src/features/control-room/control-room.schema.js';
import { consultationOutcomes, riskAssessments } from '../../src/features/investigation/investigation.schema.js';
import { satisfactionSurveys } from '../../src/features/outcomes/outcomes.schema.js';
import { callEvents, calls } from '../../src/features/video/video.schema.js';

/**
 * Writes one consultation's stored history with explicit timestamps, the way the services would have left it,
 * so the outcome measures can be checked against figures worked out by hand. Times are seconds after the call
 * was received (incidents.received_at).
 */
export interface SeededConsultation {
  /** When triage was recorded (consultations.triaged_at): the day the call counts on. */
  triagedAt: string;
  /** Seconds from the call being received to its triage (default 30). */
  receivedBefore?: number;
  triage?: 'eligible' | 'ineligible' | 'overridden';
  consented?: boolean;
  queued?: number;
  accepted?: number;
  invited?: number;
  victimJoined?: number;
  connected?: number;
  end?: { at: number; state: 'completed' | 'abandoned' | 'escalated_to_attendance'; reason?: string };
  calls?: { opened: number; connected?: number; ended?: number; quickExitBy?: 'victim' | 'interpreter' }[];
  outcomes?: string[];
  risk?: { version: number; state: 'draft' | 'completed' | 'signed_off' | 'superseded'; marac: boolean | null }[];
  survey?: { state: 'scheduled' | 'sending' | 'sent' | 'answered' | 'expired' | 'send_failed'; rating?: number };
  /** Policy 2.2: the victim's sex as asked at triage, and the relationship (for the breakdowns). */
  victimSex?: string;
  relationship?: string;
}

export async function seedConsultation(database: Database, spec: SeededConsultation): Promise<string> {
  const db = database.db;
  const triagedAt = new Date(spec.triagedAt);
  const received = new Date(triagedAt.getTime() - (spec.receivedBefore ?? 30) * 1000);
  const at = (seconds: number | undefined) => (seconds === undefined ? null : new Date(received.getTime() + seconds * 1000));
  const [incident] = await db
    .insert(incidents)
    .values({
      cadReference: `FX-${randomBytes(6).toString('hex')}`,
      receivedAt: received,
      grade: 2,
      callerName: 'Fixture Caller',
      callerPhone: '+447700900123',
      relationship: spec.relationship ?? null,
    })
    .returning();
  const triage = spec.triage ?? 'eligible';
  const path: { state: string; at: Date; reason?: string }[] = [{ state: triage === 'eligible' ? 'triaged_eligible' : 'triaged_ineligible', at: triagedAt }];
  if (triage === 'overridden') path.push({ state: 'triaged_eligible', at: new Date(triagedAt.getTime() + 1000), reason: 'Supervisor override' });
  for (const [state, seconds] of [
    ['queued', spec.queued],
    ['accepted', spec.accepted],
    ['invited', spec.invited],
    ['victim_joined', spec.victimJoined],
    ['connected', spec.connected],
  ] as const) {
    if (seconds !== undefined) path.push({ state, at: at(seconds)! });
  }
  if (spec.end) path.push({ state: spec.end.state, at: at(spec.end.at)!, reason: spec.end.reason });
  const [consultation] = await db
    .insert(consultations)
    .values({
      reference: `RVR-FX-${randomBytes(4).toString('hex')}`,
      incidentId: incident!.id,
      state: path[path.length - 1]!.state,
      triagedAt,
      queuedAt: at(spec.queued),
      acceptedAt: at(spec.accepted),
      invitedAt: at(spec.invited),
      victimJoinedAt: at(spec.victimJoined),
      connectedAt: at(spec.connected),
      endedAt: at(spec.end?.at),
    })
    .returning();
  const id = consultation!.id;
  for (const [index, step] of path.entries()) {
    await db.insert(consultationEvents).values({
      consultationId: id,
      fromState: index === 0 ? null : path[index - 1]!.state,
      toState: step.state,
      actorRole: 'system',
      reason: step.reason ?? null,
      at: step.at,
    });
  }
  await db.insert(triages).values({
    consultationId: id,
    answers: spec.victimSex ? { victimSex: spec.victimSex } : {},
    ruleSetVersion: 1,
    decision: triage === 'eligible' ? 'eligible' : 'ineligible',
    reasons: [],
    overridable: true,
    videoConsentWording: spec.consented ? 'video' : null,
    videoConsentAt: spec.consented ? triagedAt : null,
    recordingConsentWording: spec.consented ? 'recording' : null,
    recordingConsentAt: spec.consented ? triagedAt : null,
    startedAt: received,
    decidedAt: triagedAt,
  });
  for (const c of spec.calls ?? []) {
    const [call] = await db
      .insert(calls)
      .values({
        consultationId: id,
        state: c.ended === undefined ? 'open' : 'ended',
        openedAt: at(c.opened)!,
        connectedAt: at(c.connected),
        endedAt: at(c.ended),
      })
      .returning();
    if (c.quickExitBy) await db.insert(callEvents).values({ callId: call!.id, type: 'quick_exit', role: c.quickExitBy, details: {}, at: at(c.opened + 1)! });
  }
  for (const kind of spec.outcomes ?? []) {
    await db.insert(consultationOutcomes).values({ consultationId: id, kind, details: {}, recordedAt: at(spec.end?.at ?? 0)! });
  }
  for (const r of spec.risk ?? []) {
    await db.insert(riskAssessments).values({
      consultationId: id,
      formVersion: 'DASH2009',
      version: r.version,
      state: r.state,
      answers: {},
      maracReferral: r.marac,
      updatedAt: triagedAt,
    });
  }
  if (spec.survey) {
    const sendAfter = new Date((at(spec.end?.at) ?? triagedAt).getTime() + 3_600_000);
    const sent = ['sent', 'answered'].includes(spec.survey.state);
    await db.insert(satisfactionSurveys).values({
      consultationId: id,
      tokenHash: randomBytes(32).toString('hex'),
      state: spec.survey.state,
      sendAfter,
      expiresAt: new Date(sendAfter.getTime() + 72 * 3_600_000),
      sentAt: sent ? sendAfter : null,
      answeredAt: spec.survey.state === 'answered' ? new Date(sendAfter.getTime() + 600_000) : null,
      rating: spec.survey.rating ?? null,
    });
  }
  return id;
}
