import type { Repositories } from '../../../data-access.js';
import type { RequestContext } from '../../../platform/context.js';
import { ForbiddenError, NotFoundError } from '../../../platform/errors.js';
import { ConsentRequiredError, type LinkSession } from '../../video/call.service.js';
import { actingUserId, requireAssignedOfficer, type InvestigationDeps } from '../enquiry/enquiry.service.js';
import type { ConsultationOutcomesService } from '../outcome/outcome.service.js';
import type { SafetyAlertRow } from './safety-alerts.repository.js';

/** A second press within this time (or the beacon and the fallback request of one press) is the same alert. */
const SAME_ALERT_WITHIN_MS = 30_000;

/**
 * "I'm not safe" (RVR-11): the victim's discreet control raises an alert the officer sees at once (and the
 * supervisor board, over the live channel); the officer escalates to an emergency attendance in one action.
 * Escalation does not end the call or the consultation: the officer keeps the victim talking until patrol
 * arrives, and chooses the consultation's final state when ending it.
 */
export class SafetyAlertsService {
  constructor(private readonly deps: InvestigationDeps & { outcomes: Pick<ConsultationOutcomesService, 'recordEmergencyEscalation'> }) {}

  async raise(context: RequestContext, session: LinkSession): Promise<SafetyAlertRow> {
    if (session.participant.role !== 'victim') throw new ForbiddenError('Only the victim can use this.').forVictim('server.notVictim');
    // Defence in depth behind the request guard (RVR-06, SC-3): nothing of a link-holder's is acted on before consent.
    if (!session.consented) throw new ConsentRequiredError();
    return this.deps.data.transaction(async (tx) => {
      // The call row lock serialises two presses (beacon and fallback) so they make one alert.
      await tx.calls.lock(session.call.id);
      const at = this.deps.now();
      const earlier = await tx.safetyAlerts.findRecentOpen(session.participant.id, new Date(at.getTime() - SAME_ALERT_WITHIN_MS));
      if (earlier) return earlier;
      const alert = await tx.safetyAlerts.create({
        consultationId: session.call.consultationId,
        callId: session.call.id,
        participantId: session.participant.id,
        raisedAt: at,
      });
      await tx.calls.insertEvent({
        callId: session.call.id,
        type: 'not_safe',
        participantId: session.participant.id,
        role: 'victim',
        details: { alertId: alert.id },
        at,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'safety.not_safe_raised',
        subject: `consultation:${alert.consultationId}`,
        details: { alertId: alert.id, callId: alert.callId },
      });
      await this.notify(tx, alert, 'raised');
      return alert;
    });
  }

  async listForOfficer(context: RequestContext, consultationId: string): Promise<SafetyAlertRow[]> {
    await requireAssignedOfficer(this.deps.data.repos, context, consultationId, 'safety_alerts.view');
    return this.list(consultationId);
  }

  async list(consultationId: string): Promise<SafetyAlertRow[]> {
    return this.deps.data.repos.safetyAlerts.listByConsultation(consultationId);
  }

  /** The officer has seen the alert (the supervisor board shows who has). */
  async acknowledge(context: RequestContext, alertId: string): Promise<SafetyAlertRow> {
    return this.officerAction(context, alertId, async (tx, alert, at) => {
      if (alert.acknowledgedAt) return alert;
      const updated = await tx.safetyAlerts.update(alert.id, { acknowledgedAt: at, acknowledgedBy: actingUserId(context) });
      await this.deps.audit.record(tx.audit, context, {
        what: 'safety.alert_acknowledged',
        subject: `consultation:${alert.consultationId}`,
        details: { alertId: alert.id, raisedAt: alert.raisedAt.toISOString() },
      });
      await this.notify(tx, updated, 'acknowledged');
      return updated;
    });
  }

  /**
   * One action: the alert is marked escalated (who, when) and an `attendance_escalated` outcome with
   * `{ emergency: true, alertId }` is recorded, keeping the time of the alert and of the escalation. A repeat
   * press returns the escalation already made.
   */
  async escalate(context: RequestContext, alertId: string): Promise<SafetyAlertRow> {
    return this.officerAction(context, alertId, async (tx, alert, at) => {
      if (alert.escalatedAt) return alert;
      const outcome = await this.deps.outcomes.recordEmergencyEscalation(tx, context, alert.consultationId, alert.id);
      const updated = await tx.safetyAlerts.update(alert.id, {
        escalatedAt: at,
        escalatedBy: actingUserId(context),
        acknowledgedAt: alert.acknowledgedAt ?? at,
        acknowledgedBy: alert.acknowledgedBy ?? actingUserId(context),
        outcomeId: outcome.id,
      });
      if (alert.callId)
        await tx.calls.insertEvent({ callId: alert.callId, type: 'emergency_escalated', details: { alertId: alert.id, outcomeId: outcome.id }, at });
      await this.deps.audit.record(tx.audit, context, {
        what: 'safety.escalated_to_emergency_attendance',
        subject: `consultation:${alert.consultationId}`,
        details: { alertId: alert.id, outcomeId: outcome.id, raisedAt: alert.raisedAt.toISOString(), escalatedAt: at.toISOString() },
      });
      await this.notify(tx, updated, 'escalated');
      return updated;
    });
  }

  private async officerAction(
    context: RequestContext,
    alertId: string,
    action: (tx: Repositories, alert: SafetyAlertRow, at: Date) => Promise<SafetyAlertRow>,
  ): Promise<SafetyAlertRow> {
    return this.deps.data.transaction(async (tx) => {
      const alert = await tx.safetyAlerts.lock(alertId);
      if (!alert) throw new NotFoundError('No alert with that id');
      await requireAssignedOfficer(tx, context, alert.consultationId, 'safety_alert.respond');
      return action(tx, alert, this.deps.now());
    });
  }

  private async notify(tx: Repositories, alert: SafetyAlertRow, state: 'raised' | 'acknowledged' | 'escalated'): Promise<void> {
    await tx.live.notify({
      type: 'safety_alert',
      alertId: alert.id,
      consultationId: alert.consultationId,
      callId: alert.callId,
      state,
      at: this.deps.now().toISOString(),
    });
  }
}
