import type { DataAccess, Repositories } from '../../data-access.js';
import {
  AGE_BANDS,
  decideEligibility,
  DEFAULT_ELIGIBILITY_SETTINGS,
  EXCLUSION_FLAGS,
  isHardFlag,
  RELATIONSHIPS,
  VICTIM_SEXES,
  type AgeBand,
  type Decision,
  type EligibilitySettings,
  type ExclusionFlag,
  type Relationship,
  type VictimSex,
} from '../../domain/eligibility.js';
import { normaliseUkMobile } from '../../domain/phone.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { ConsultationService } from '../consultations/consultation.service.js';
import type { ConsultationRow } from '../consultations/consultation.service.js';
import { STANDARD_ATTENDANCE_REASON, type EvaluationService, type TriageAllocation } from '../evaluation/evaluation.service.js';
import { isLanguage, type Language } from '../../platform/i18n/i18n.js';

/** Force configuration for triage: eligibility rules plus the consent words read to the caller (RVR-04). */
export interface TriageSettings {
  eligibility: EligibilitySettings;
  videoConsentWording: string;
  recordingConsentWording: string;
  /** Alert the call handler when nobody has accepted a queued call after this long. */
  queueAlertSeconds: number;
}

export const DEFAULT_TRIAGE_SETTINGS: TriageSettings = {
  eligibility: DEFAULT_ELIGIBILITY_SETTINGS,
  videoConsentWording: 'Are you happy to speak to a police officer now by video call on your phone? You can stop at any time.',
  recordingConsentWording: 'The video call will be recorded, and the recording may be used as evidence. Are you happy for it to be recorded?',
  queueAlertSeconds: 120,
};

/** What the call handler (or CAD) sends: strings as typed, checked and converted here. */
export interface IntakeInput {
  cadReference: string;
  receivedAt: string;
  grade: string | number;
  callerName: string;
  mobile: string;
  relationship: string;
  ageBand: string;
  /** DA-01: the suspect's age band. Missing (an older CAD client) is taken as 'unknown', which needs a supervisor decision; '' is an error. */
  suspectAgeBand?: string;
  /** Policy 2.2: optional (female, male, prefer_not_to_say); missing or '' = not asked. */
  victimSex?: string;
  location?: string;
  spokenLanguage?: string;
  bslNeeded?: boolean;
  hearingNeed?: boolean;
  summary?: string;
  flags?: string[];
  consentToVideo?: boolean;
  consentToRecording?: boolean;
  prefersPhone?: boolean;
  /** When the call handler opened the checklist (the form sends it; defaults to now). */
  triageStartedAt?: string;
  /** SC-1: the purpose the session is for (one of PURPOSE_CODES); missing means the force's default. */
  purposeCode?: string;
  /** Issue 17 §2: the caller's language for the texts and the video call page, 'en' (default) or 'cy'. */
  language?: string;
}

export interface IntakeResult {
  consultation: ConsultationRow;
  decision: Decision;
  /** The evaluation trial's allocation, when one is running and the call is eligible with both consents. */
  allocation: TriageAllocation | null;
}

/**
 * Issue 17 §4 (policy 4.0): the caller cannot talk now, so the call handler books a video appointment on the intake
 * form instead of queuing the call (AppointmentService.intakeWithAppointment gives this).
 */
export interface AppointmentAtTriage {
  /** The booking's own field errors, shown with the form's, so nothing is written when either is wrong. */
  errors: Record<string, string>;
  /** Books it in the intake's transaction, moving an eligible call from triaged_eligible to appointment_booked. */
  book(tx: Repositories, context: RequestContext, consultationId: string): Promise<ConsultationRow>;
}

const CAD_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9/_-]{0,49}$/;

/**
 * Policy 2.1/2.3: the control room triages a domestic abuse call for RVR on the call. Eligible calls go
 * straight to the RVR queue in the same transaction; ineligible ones keep their reasons for the handler.
 */
export class TriageService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly consultations: ConsultationService,
    private readonly now: () => Date,
    private readonly evaluation?: EvaluationService,
  ) {}

  async currentSettings(): Promise<{ version: number; settings: TriageSettings }> {
    const row = await this.data.repos.triages.currentSettings();
    return row
      ? { version: row.version, settings: row.settings as TriageSettings }
      : { version: DEFAULT_TRIAGE_SETTINGS.eligibility.version, settings: DEFAULT_TRIAGE_SETTINGS };
  }

  /** `alsoInTransaction` runs in the same transaction (the API stores its idempotency record there). */
  async intake(
    context: RequestContext,
    input: IntakeInput,
    source: string,
    alsoInTransaction?: (tx: Repositories, result: IntakeResult) => Promise<void>,
    appointment?: AppointmentAtTriage,
  ): Promise<IntakeResult> {
    const now = this.now();
    const checked = this.validate(input, now, appointment?.errors);
    const { version, settings } = await this.currentSettings();
    const decision = decideEligibility(checked.answers, { ...settings.eligibility, version }, now);
    return this.data.transaction(async (tx) => {
      const consultation = await this.consultations.createTriaged(tx, context, {
        incident: {
          cadReference: checked.cadReference,
          receivedAt: checked.receivedAt,
          grade: checked.answers.grade,
          callerName: checked.callerName,
          callerPhone: checked.mobile,
          relationship: checked.answers.relationship,
          ageBand: checked.answers.ageBand,
          location: checked.location,
          spokenLanguage: checked.answers.languageNeed,
          bslNeeded: checked.answers.bslNeeded,
          hearingNeed: checked.answers.hearingNeed,
          needs: null,
          summary: checked.summary,
          source,
        },
        eligible: decision.outcome === 'eligible',
        interpreterRequired: decision.interpreterRequired,
        reasons: decision.reasons.map((r) => r.text),
        purposeCode: input.purposeCode,
        language: checked.language,
      });
      await tx.triages.create({
        consultationId: consultation.id,
        answers: checked.answers,
        ruleSetVersion: version,
        decision: decision.outcome,
        reasons: decision.reasons,
        overridable: decision.outcome === 'ineligible' ? decision.overridable : false,
        videoConsentWording: checked.answers.consentToVideo ? settings.videoConsentWording : null,
        videoConsentAt: checked.answers.consentToVideo ? now : null,
        recordingConsentWording: checked.answers.consentToRecording ? settings.recordingConsentWording : null,
        recordingConsentAt: checked.answers.consentToRecording ? now : null,
        startedAt: checked.triageStartedAt ?? now,
        decidedAt: now,
        decidedBy: context.actor.type === 'user' ? context.actor.userId : null,
      });
      const allocation = decision.outcome === 'eligible' ? ((await this.evaluation?.allocateAtTriage(tx, context, consultation.id)) ?? null) : null;
      const routed = decision.outcome === 'eligible' ? await this.routeEligible(tx, context, consultation.id, allocation, appointment) : consultation;
      const result = { consultation: routed, decision, allocation };
      await alsoInTransaction?.(tx, result);
      return result;
    });
  }

  /** A supervisor overrides a soft exclusion with a recorded rationale (RVR-05); the call then joins the queue. */
  async override(context: RequestContext, consultationId: string, rationale: string): Promise<ConsultationRow> {
    const why = rationale.trim();
    if (why.length < 10)
      throw new ValidationError('Record why the exclusion is overridden (at least 10 characters)', {
        rationale: 'Record why the exclusion is overridden (at least 10 characters)',
      });
    if (context.actor.type !== 'user' || !context.actor.roles.includes('supervisor')) throw new ForbiddenError('Only a supervisor can override an exclusion');
    return this.data.transaction(async (tx: Repositories) => {
      const triage = await tx.triages.findByConsultation(consultationId);
      if (!triage) throw new NotFoundError('No triage for that consultation');
      // RVR-02 / RVR-05: a triage stored before the RVR-02 conditions became hard may say overridable; its reasons decide.
      const storedReasons = (triage.reasons as { code?: string; hard?: boolean }[] | null) ?? [];
      if (!triage.overridable || storedReasons.some((r) => r.hard === true || isHardFlag(r.code ?? '')))
        throw new ConflictError(
          'This call cannot be overridden: it has a hard exclusion (grade 1, not domestic abuse, victim or suspect under 16, the suspect present or due back, the victim not safe or unable to talk freely (RVR-02), the caller’s choice, or missing consent).',
        );
      await this.consultations.applyTransition(tx, context, consultationId, 'triaged_eligible', why);
      await tx.triages.recordOverride(consultationId, (context.actor as { userId: string }).userId, why, this.now());
      await this.audit.record(tx.audit, context, { what: 'triage.overridden', subject: `consultation:${consultationId}`, justification: why });
      const allocation = (await this.evaluation?.allocateAtTriage(tx, context, consultationId)) ?? null;
      return this.routeEligible(tx, context, consultationId, allocation);
    });
  }

  async saveSettings(context: RequestContext, settings: TriageSettings): Promise<number> {
    return this.data.transaction(async (tx) => {
      const current = await tx.triages.currentSettings();
      const version = (current?.version ?? DEFAULT_TRIAGE_SETTINGS.eligibility.version) + 1;
      await tx.triages.saveSettings(
        version,
        { ...settings, eligibility: { ...settings.eligibility, version } },
        context.actor.type === 'user' ? context.actor.userId : null,
      );
      await this.audit.record(tx.audit, context, { what: 'triage.settings_changed', subject: `eligibility_settings:${version}`, details: { version } });
      return version;
    });
  }

  /**
   * An eligible call joins the RVR queue, unless the evaluation trial randomised it to standard attendance: then
   * it goes from the triage decision straight to attendance (never queued, so no officer picks it up and its
   * queued time stays empty in the analysis), with the reason on its timeline. A call booked for later at triage
   * goes to appointment_booked instead of the queue (it is not a call to take now).
   */
  private routeEligible(
    tx: Repositories,
    context: RequestContext,
    consultationId: string,
    allocation: TriageAllocation | null,
    appointment?: AppointmentAtTriage,
  ): Promise<ConsultationRow> {
    if (allocation?.randomised && allocation.arm === 'standard') {
      return this.consultations.applyTransition(tx, this.asRouting(context), consultationId, 'escalated_to_attendance', STANDARD_ATTENDANCE_REASON);
    }
    if (appointment) return appointment.book(tx, context, consultationId);
    return this.consultations.applyTransition(tx, this.asRouting(context), consultationId, 'queued');
  }

  /** The handler's decision routes the call; a call handler is allowed to do that, and so is the system (CAD). */
  private asRouting(context: RequestContext): RequestContext {
    return context.actor.type === 'user' && context.actor.roles.some((role) => role === 'call_handler' || role === 'supervisor')
      ? context
      : { ...context, actor: { type: 'system', name: 'triage' } };
  }

  private validate(input: IntakeInput, now: Date, otherErrors: Record<string, string> = {}) {
    const errors: Record<string, string> = {};
    const text = (value: string | undefined, max: number, field: string, label: string): string | null => {
      const trimmed = (value ?? '').trim();
      if (trimmed.length > max) errors[field] = `${label} must be ${max} characters or fewer`;
      return trimmed || null;
    };
    const cadReference = (input.cadReference ?? '').trim();
    if (!CAD_REFERENCE.test(cadReference)) errors.cadReference = 'Enter the CAD incident reference (letters, digits, / - _; up to 50 characters)';
    const receivedAt = new Date(input.receivedAt);
    if (!input.receivedAt || Number.isNaN(receivedAt.getTime())) errors.receivedAt = 'Enter the time the call was received';
    else if (receivedAt.getTime() > now.getTime() + 2 * 60_000) errors.receivedAt = 'The time the call was received cannot be in the future';
    else if (receivedAt.getTime() < now.getTime() - 7 * 86_400_000) errors.receivedAt = 'The time the call was received must be within the last 7 days';
    const grade = Number(input.grade);
    if (![1, 2, 3, 4].includes(grade)) errors.grade = 'Choose the grade: 1 emergency, 2 priority, 3 scheduled or 4 other';
    const callerName = text(input.callerName, 200, 'callerName', 'Caller name');
    if (!callerName) errors.callerName = 'Enter the caller’s name';
    const phone = normaliseUkMobile(input.mobile ?? '');
    if (!phone.ok) errors.mobile = phone.problem;
    if (!(RELATIONSHIPS as readonly string[]).includes(input.relationship)) errors.relationship = 'Choose the relationship to the suspect';
    if (!(AGE_BANDS as readonly string[]).includes(input.ageBand)) errors.ageBand = 'Choose the victim’s age band';
    const suspectAgeBand = input.suspectAgeBand === undefined ? 'unknown' : input.suspectAgeBand;
    if (!(AGE_BANDS as readonly string[]).includes(suspectAgeBand))
      errors.suspectAgeBand = 'Choose the suspect’s age band (choose “Not known” if the caller cannot say)';
    const victimSex = (input.victimSex ?? '').trim();
    if (victimSex !== '' && !(VICTIM_SEXES as readonly string[]).includes(victimSex))
      errors.victimSex = 'Choose female, male or prefer not to say, or leave it blank';
    const flags = input.flags ?? [];
    const unknownFlags = flags.filter((f) => !(EXCLUSION_FLAGS as readonly string[]).includes(f));
    if (unknownFlags.length > 0) errors.flags = `Unknown checklist item(s): ${unknownFlags.join(', ')}`;
    const location = text(input.location, 500, 'location', 'Location');
    const summary = text(input.summary, 2000, 'summary', 'Summary');
    const spokenLanguage = text(input.spokenLanguage, 50, 'spokenLanguage', 'Spoken language');
    const language = input.language === undefined || input.language === '' ? 'en' : input.language;
    if (!isLanguage(language)) errors.language = 'Choose English or Cymraeg (Welsh) for the caller’s texts and video call page';
    let triageStartedAt: Date | undefined;
    if (input.triageStartedAt) {
      triageStartedAt = new Date(input.triageStartedAt);
      if (Number.isNaN(triageStartedAt.getTime()) || triageStartedAt > now) triageStartedAt = undefined;
    }
    Object.assign(errors, otherErrors);
    if (Object.keys(errors).length > 0) throw new ValidationError('Check the call details', errors);
    return {
      cadReference,
      receivedAt,
      callerName: callerName!,
      mobile: (phone as { e164: string }).e164,
      location,
      summary,
      triageStartedAt,
      language: language as Language,
      answers: {
        grade: grade as 1 | 2 | 3 | 4,
        relationship: input.relationship as Relationship,
        ageBand: input.ageBand as AgeBand,
        suspectAgeBand: suspectAgeBand as AgeBand,
        victimSex: victimSex === '' ? null : (victimSex as VictimSex),
        flags: [...new Set(flags)] as ExclusionFlag[],
        consentToVideo: input.consentToVideo === true,
        consentToRecording: input.consentToRecording === true,
        prefersPhone: input.prefersPhone === true,
        languageNeed: spokenLanguage && spokenLanguage.toLowerCase() !== 'english' ? spokenLanguage : null,
        bslNeeded: input.bslNeeded === true,
        hearingNeed: input.hearingNeed === true,
      },
    };
  }
}
