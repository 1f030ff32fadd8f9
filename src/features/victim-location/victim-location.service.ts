import type { DataAccess, Repositories } from '../../data-access.js';
import { checkPosition, locationLink, locationQuestion, positionAcceptance, type LocationDecision } from '../../domain/victim-location.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { translator, type Language } from '../../platform/i18n/i18n.js';
import { AppError, ForbiddenError, ValidationError } from '../../platform/errors.js';
import { requireAssignedOfficer } from '../investigation/enquiry/enquiry.service.js';
import { assertConsented, ConsentRequiredError, lockOpenCall, recordCallEvent, type LinkSession } from '../video/call.service.js';
import type { LocationConsentRow, VictimLocationRow } from './victim-location.repository.js';

export interface VictimLocationDeps {
  data: DataAccess;
  audit: AuditTrail;
  now: () => Date;
  /** LOCATION_LINK_TEMPLATE: the force's own mapping system, or undefined for no link. */
  linkTemplate: string | undefined;
}

/** Too many positions too fast (the page sends one when the victim moves): 429, calmly worded. */
export class TooManyPositionsError extends AppError {
  constructor() {
    super(429, 'Your location was sent a moment ago. It is sent again when you move.');
    this.forVictim('server.location.tooSoon');
  }
}

/** The location as outcomes, the CAD API, the call record and the evidence manifest carry it. */
export interface SharedLocation {
  latitude: number;
  longitude: number;
  accuracyMetres: number;
  /** When the server received it (its clock, EVD-05). */
  receivedAt: string;
  /** When the phone says it measured it (the phone's clock), if it said. */
  measuredAt: string | null;
  /** When the victim chose to share it (the decision in force when it was received). */
  sharedAt: string | null;
}

const DECISION_EVENTS: Record<LocationDecision, string> = {
  shared: 'location_shared',
  declined: 'location_declined',
  stopped: 'location_stopped',
  unavailable: 'location_unavailable',
};

/**
 * Issue 17 §2: the question in the page's language, from the message catalogs (`location.wording`; the English is
 * LOCATION_CONSENT_WORDING), stored with the decision exactly as shown, with its language (RVR-04).
 */
export function locationConsentWording(language: Language = 'en'): string {
  return translator(language)('location.wording');
}

/**
 * The victim's location, with their consent (issue 17 §1; policy 2.3; RVR-07): asked once on the call page after the
 * call consents, as a separate choice; each position is taken only from the victim of that call, only while their
 * latest decision is "shared", validated and rate-limited (the page is not trusted); the officer sees it on the call
 * page, and every view by staff is logged (DP-01). Positions are the victim's personal data: erased with the
 * consultation (ADR 0016) and otherwise kept with it.
 */
export class VictimLocationService {
  constructor(private readonly deps: VictimLocationDeps) {}

  /** What the victim's page shows: the question, "sharing", or the small link to share after all. */
  async victimView(session: LinkSession, language: Language = 'en') {
    this.assertVictim(session);
    const latest = await this.deps.data.repos.victimLocations.latestDecision(session.participant.id);
    const decision = latest?.decision as LocationDecision | undefined;
    return { state: locationQuestion(decision), decision: decision ?? null, wording: locationConsentWording(language) };
  }

  /** The victim's choice, recorded with the words shown and audited; the same choice twice in a row is one. */
  async decide(context: RequestContext, session: LinkSession, decision: LocationDecision, language: Language = 'en'): Promise<LocationConsentRow> {
    this.assertVictim(session);
    return this.deps.data.transaction(async (tx) => {
      await lockOpenCall(tx, session.call.id);
      await assertConsented(tx, session.participant);
      const latest = await tx.victimLocations.latestDecision(session.participant.id);
      if (latest?.decision === decision) return latest;
      // "Unavailable" is the phone's answer to a "yes": it follows a share, never stands alone.
      if (decision === 'unavailable' && latest?.decision !== 'shared')
        throw new ValidationError('Choose whether to share your location first.').forVictim('server.location.chooseFirst');
      const row = await tx.victimLocations.recordDecision({
        consultationId: session.call.consultationId,
        callId: session.call.id,
        participantId: session.participant.id,
        decision,
        wording: locationConsentWording(language),
        language,
        decidedAt: this.deps.now(),
      });
      await recordCallEvent(this.deps, tx, context, session.call.id, DECISION_EVENTS[decision], { decisionId: row.id, language }, session.participant);
      await this.notify(tx, session);
      return row;
    });
  }

  /** One position from the victim's page: checked, rate-limited, stored with the time received, logged as a collection (DP-01). */
  async receivePosition(
    context: RequestContext,
    session: LinkSession,
    input: { latitude: unknown; longitude: unknown; accuracy: unknown; measuredAt?: unknown },
  ): Promise<VictimLocationRow> {
    const check = checkPosition(input);
    // What the page script sent from the phone (never typed by the victim): a Welsh page gets the kind of error.
    if (!check.ok) throw new ValidationError(check.message);
    const measuredAt = parseMeasuredAt(input.measuredAt);
    return this.deps.data.transaction(async (tx) => {
      // The call row lock serialises two positions sent together, so the rate limit holds.
      await lockOpenCall(tx, session.call.id);
      await assertConsented(tx, session.participant);
      const now = this.deps.now();
      const decision = await tx.victimLocations.latestDecision(session.participant.id);
      const last = await tx.victimLocations.latestOfParticipant(session.participant.id);
      const acceptance = positionAcceptance({
        role: session.participant.role,
        callConsented: session.consented,
        latestDecision: decision?.decision as LocationDecision | undefined,
        lastReceivedAt: last?.receivedAt,
        now,
      });
      if (acceptance === 'not_victim') throw new ForbiddenError('Only the victim can share their location.').forVictim('server.location.notVictim');
      if (acceptance === 'call_consent_required') throw new ConsentRequiredError();
      if (acceptance === 'location_consent_required')
        throw new ForbiddenError('Your location is sent only after you choose to share it.').forVictim('server.location.notShared');
      if (acceptance === 'too_soon') throw new TooManyPositionsError();
      const row = await tx.victimLocations.insertPosition({
        consultationId: session.call.consultationId,
        callId: session.call.id,
        participantId: session.participant.id,
        latitude: check.position.latitude,
        longitude: check.position.longitude,
        accuracyMetres: check.position.accuracyMetres,
        measuredAt,
        receivedAt: now,
      });
      // Collection is logged (s.62) without the position itself: the audit log is not a second copy of it.
      await this.deps.audit.record(tx.audit, context, {
        what: 'location.received',
        subject: `consultation:${row.consultationId}`,
        details: { locationId: row.id, callId: row.callId, accuracyMetres: row.accuracyMetres },
      });
      await this.notify(tx, session);
      return row;
    });
  }

  /**
   * The officer's location panel beside the call: the victim's decision, the latest position with its accuracy and
   * age, and the link into the force's mapping system. Only the officer who took the consultation; a view that shows
   * a position is logged as a consultation of personal data (DP-01).
   */
  async officerPanel(context: RequestContext, consultationId: string) {
    return this.deps.data.transaction(async (tx) => {
      await requireAssignedOfficer(tx, context, consultationId, 'location.view');
      const decisions = await tx.victimLocations.listDecisionsByConsultation(consultationId);
      const latest = await tx.victimLocations.latestOfConsultation(consultationId);
      if (latest)
        await this.deps.audit.record(tx.audit, context, {
          what: 'location.viewed',
          subject: `consultation:${consultationId}`,
          details: { locationId: latest.id, where: 'call page' },
        });
      return {
        decision: decisions.at(-1) ?? null,
        latest: latest ? { ...latest, link: locationLink(this.deps.linkTemplate, latest) } : null,
      };
    });
  }

  /**
   * The CAD API's copy (the force's command and control dispatches attendance with it): the latest shared position,
   * and the read is logged as a disclosure to that CAD client (DP-01: who received it, when, why).
   */
  async forCad(context: RequestContext, consultationId: string, recipient: string): Promise<SharedLocation | null> {
    return this.deps.data.transaction(async (tx) => {
      const location = await sharedLocation(tx, consultationId);
      if (location)
        await this.deps.audit.record(tx.audit, context, {
          what: 'location.disclosed',
          subject: `consultation:${consultationId}`,
          justification: 'CAD API read of the consultation (consultations:read): attendance and dispatch',
          details: { recipient, receivedAt: location.receivedAt },
        });
      return location;
    });
  }

  /** Every position of a call and the decisions, for the call record (its reader's view is logged by the record). */
  async forCallRecord(repos: Repositories, consultationId: string, callId: string) {
    const positions = await repos.victimLocations.listByCall(callId);
    const decisions = (await repos.victimLocations.listDecisionsByConsultation(consultationId)).filter((d) => d.callId === callId);
    return { positions: positions.map((p) => ({ ...p, link: locationLink(this.deps.linkTemplate, p) })), decisions };
  }

  private assertVictim(session: LinkSession): void {
    if (session.participant.role !== 'victim') throw new ForbiddenError('Only the victim can share their location.').forVictim('server.location.notVictim');
    // Defence in depth behind the request guard (RVR-04): nothing of a link-holder's is taken before consent.
    if (!session.consented) throw new ConsentRequiredError();
  }

  private async notify(tx: Repositories, session: LinkSession): Promise<void> {
    await tx.live.notify({ type: 'victim_location', consultationId: session.call.consultationId, callId: session.call.id, at: this.deps.now().toISOString() });
  }
}

/** The latest position of a consultation with when it was shared (no logging: the caller logs its view or disclosure). */
export async function sharedLocation(repos: Repositories, consultationId: string): Promise<SharedLocation | null> {
  const latest = await repos.victimLocations.latestOfConsultation(consultationId);
  if (!latest) return null;
  const decisions = await repos.victimLocations.listDecisionsByConsultation(consultationId);
  return toShared(latest, decisions);
}

/** The decision in force when the position was received: the latest "shared" at or before it. */
export function toShared(position: VictimLocationRow, decisions: LocationConsentRow[]): SharedLocation {
  const shared = decisions.filter((d) => d.decision === 'shared' && d.decidedAt <= position.receivedAt).at(-1);
  return {
    latitude: position.latitude,
    longitude: position.longitude,
    accuracyMetres: position.accuracyMetres,
    receivedAt: position.receivedAt.toISOString(),
    measuredAt: position.measuredAt?.toISOString() ?? null,
    sharedAt: shared?.decidedAt.toISOString() ?? null,
  };
}

/** The phone's own time of the fix (epoch ms or ISO); ignored when absent or absurd (it is only a hint). */
function parseMeasuredAt(value: unknown): Date | null {
  if (value === undefined || value === null || value === '') return null;
  const date = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number));
  if (Number.isNaN(date.getTime())) throw new ValidationError('measuredAt must be a time (milliseconds since 1970 or ISO 8601).');
  const year = date.getUTCFullYear();
  return year >= 2020 && year <= 2100 ? date : null;
}
