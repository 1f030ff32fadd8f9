import type { DataAccess, Repositories } from '../../../data-access.js';
import { AGE_BANDS, type AgeBand } from '../../../domain/eligibility.js';
import { CURRENT_RISK_FORM, riskFormFor } from '../../../domain/risk-forms/registry.js';
import {
  answerProblems,
  assessmentProblems,
  isGrade,
  MAX_REASON_LENGTH,
  MIN_REASON_LENGTH,
  questionLabel,
  type AnswerEntry,
  type Answers,
  type Grade,
  type Judgement,
  type RiskFacts,
  type RiskForm,
  type RiskScore,
  type ScoringSettings,
} from '../../../domain/risk-forms/risk-form.js';
import { fromLondonWallClock, londonWallClock } from '../../../domain/retention.js';
import type { AuditTrail } from '../../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type AppError } from '../../../platform/errors.js';
import type { ConsultationRow } from '../../consultations/consultation.service.js';
import type { EvidenceRegistrationService } from '../../evidence/evidence-registration.service.js';
import { renderRiskAssessment } from './risk-assessment-document.js';
import type { RiskAssessmentRow } from './risk-assessment.repository.js';
import { requireInvestigationReader } from '../enquiry/enquiry.service.js';

export interface RiskAssessmentDeps {
  data: DataAccess;
  audit: AuditTrail;
  evidence: Pick<EvidenceRegistrationService, 'registerForm'>;
  /** config.investigation: the local bands and the escalation threshold (DASH-03 c, DASH-05). */
  settings: ScoringSettings;
  now: () => Date;
  /** Runs in the completing transaction, e.g. to queue a High-risk consultation for quality review (EVD-15). */
  onCompleted?: (tx: Repositories, context: RequestContext, consultationId: string, at: Date) => Promise<void>;
}

/** What the officer's page sends as they go: only what changed, with the revision the page last saw. */
export interface RiskDraftPatch {
  revision: number;
  /** A question's whole entry; null clears it. */
  answers?: Record<string, AnswerEntry | null>;
  facts?: { victimAgeBand?: AgeBand | null; priorIncidents12Months?: number | null; lastMaracReferralOn?: string | null };
  judgement?: { grade?: Grade | null; referral?: boolean; reason?: string | null };
}

/** An assessment as the pages and the browser script see it. */
export interface RiskAssessmentView {
  id: string;
  consultationId: string;
  formVersion: string;
  formTitle: string;
  version: number;
  state: string;
  revision: number;
  answers: Answers;
  facts: { victimAgeBand: AgeBand | null; priorIncidents12Months: number | null; lastMaracReferralOn: string | null };
  judgement: Judgement;
  score: RiskScore;
  supersedesId: string | null;
  amendmentReason: string | null;
  completedAt: Date | null;
  completedBy: string | null;
  signedOffAt: Date | null;
  signedOffBy: string | null;
  signOffNote: string | null;
  evidenceItemId: string | null;
}

/** The summary other features read (quality review, dashboard, the consultation page). */
export interface RiskAssessmentSummary {
  id: string;
  formVersion: string;
  version: number;
  state: string;
  grade: Grade | null;
  yesCount: number | null;
  maracReferral: boolean | null;
  highRiskFlags: string[];
  routing: string | null;
  signedOff: boolean;
}

/** `warnings`: what would stop completion in the judgement, kept in the draft so answers are never lost for it. */
export type RiskSaveOutcome =
  { saved: true; assessment: RiskAssessmentView; warnings?: Record<string, string> } | { saved: false; current: RiskAssessmentView | null };

/** The judgement's own problems (DASH-03 b, DASH-04, DASH-07). */
const JUDGEMENT_FIELDS = ['grade', 'judgementReason', 'judgementReferral'];

const EDITABLE = 'draft';
const STATE_WORDS: Record<string, string> = { completed: 'completed', signed_off: 'signed off', superseded: 'replaced by a newer version' };

/** A refusal worth keeping in the audit trail: written in its own transaction, since the change's transaction rolls back. */
class AuditedRefusal extends Error {
  constructor(
    readonly error: AppError,
    readonly subject: string,
    readonly details: Record<string, unknown>,
  ) {
    super(error.message);
  }
}

function text(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** A date typed as YYYY-MM-DD is that London calendar day, from its first moment. */
function londonDayStart(value: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return new Date(Number.NaN);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = fromLondonWallClock({ year, month, day, hour: 0, minute: 0, second: 0, millisecond: 0 });
  const back = londonWallClock(date);
  return back.year === year && back.month === month && back.day === day ? date : new Date(Number.NaN);
}

function londonDayText(date: Date | null): string | null {
  if (!date) return null;
  const w = londonWallClock(date);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

function storedAgeBand(value: string | null | undefined): AgeBand | null {
  return value && (AGE_BANDS as readonly string[]).includes(value) ? (value as AgeBand) : null;
}

/**
 * The risk assessment in the call (RVR-08, DASH-01..08): a draft saved as the officer goes (each save applies only to
 * the revision it read), completed only when every question is answered, then scored, stored with its form version and
 * settings, and kept as an evidence item. A completed or signed-off assessment is never edited: an amendment is a new
 * version. A supervisor signs each one off. Every change and every refused edit is in the audit trail.
 */
export class RiskAssessmentService {
  constructor(private readonly deps: RiskAssessmentDeps) {}

  private get data() {
    return this.deps.data;
  }

  formOf(row: Pick<RiskAssessmentRow, 'formVersion'>): RiskForm {
    const form = riskFormFor(row.formVersion);
    if (!form) throw new ConflictError(`This assessment was made with form ${row.formVersion}, which this version of the platform does not know`);
    return form;
  }

  /** What the officer's panel needs: the form, the current assessment (if any) and whether this user may write it. */
  async panel(context: RequestContext, consultationId: string) {
    const consultation = await this.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    const incident = (await this.data.repos.incidents.findById(consultation.incidentId))!;
    const row = await this.data.repos.riskAssessments.findCurrent(consultationId);
    const form = row ? this.formOf(row) : CURRENT_RISK_FORM;
    const assessment = row ? this.view(row, incident.receivedAt) : this.emptyView(consultation, incident.receivedAt, storedAgeBand(incident.ageBand));
    return { form, assessment, canWrite: this.isAssignedOfficer(context, consultation), exists: Boolean(row) };
  }

  /** Saves what changed, if the page read the current revision; otherwise hands back the current copy to merge (409). */
  async saveDraft(context: RequestContext, consultationId: string, patch: RiskDraftPatch): Promise<RiskSaveOutcome> {
    const form = CURRENT_RISK_FORM;
    return this.withAuditedRefusals(context, async (tx) => {
      const { consultation, incidentAt, ageBand } = await this.requireAssignedOfficer(tx, context, consultationId, 'save');
      const current = await tx.riskAssessments.lockCurrent(consultationId);
      if (current && current.state !== EDITABLE) throw this.refuseEdit(current, 'save');
      if ((current?.revision ?? 0) !== patch.revision) return { saved: false as const, current: current ? this.view(current, incidentAt) : null };
      const base = current ? this.view(current, incidentAt) : this.emptyView(consultation, incidentAt, ageBand);
      const merged = this.merge(this.formOf(base), base, patch, incidentAt);
      const problems = assessmentProblems(this.formOf(base), merged, this.deps.settings, 'draft');
      // A judgement the officer is changing now is refused; one made invalid by later answers (a High reached after
      // grading Standard) does not block saving those answers: it stays a warning, and completion refuses it.
      const warnings = patch.judgement ? {} : pick(problems, JUDGEMENT_FIELDS);
      const refusals = Object.fromEntries(Object.entries(problems).filter(([field]) => !(field in warnings)));
      if (Object.keys(refusals).length > 0) throw new ValidationError(summarise(refusals), refusals);
      const at = this.deps.now();
      const columns = {
        answers: merged.answers,
        victimAgeBand: merged.facts.victimAgeBand,
        priorIncidents12Months: merged.facts.priorIncidents12Months,
        lastMaracReferralAt: merged.facts.lastMaracReferralAt,
        grade: merged.judgement.grade,
        judgementReferral: merged.judgement.referral,
        judgementReason: merged.judgement.reason,
        updatedAt: at,
      };
      const saved = current
        ? await tx.riskAssessments.updateAtRevision(current.id, current.revision, columns)
        : await tx.riskAssessments.create({
            ...columns,
            consultationId,
            formVersion: form.version,
            version: 1,
            state: EDITABLE,
            revision: 1,
            createdBy: this.userId(context),
          });
      if (!saved) return { saved: false as const, current: await this.currentView(tx, consultationId, incidentAt) };
      await this.deps.audit.record(tx.audit, context, {
        what: current ? 'risk_assessment.saved' : 'risk_assessment.started',
        subject: `consultation:${consultationId}`,
        // Which questions and fields changed, never what was answered.
        details: {
          assessmentId: saved.id,
          version: saved.version,
          revision: saved.revision,
          questions: Object.keys(patch.answers ?? {}),
          fields: [...Object.keys(patch.facts ?? {}), ...Object.keys(patch.judgement ?? {})],
        },
      });
      return { saved: true as const, assessment: this.view(saved, incidentAt), ...(Object.keys(warnings).length ? { warnings } : {}) };
    });
  }

  /**
   * Completes the draft the page read: refused until every question is answered (DASH-01); then scored and stored with
   * the form version and settings (DASH-02), and its text kept as an evidence item, all in one transaction.
   */
  async complete(context: RequestContext, consultationId: string, revision: number): Promise<RiskSaveOutcome> {
    return this.withAuditedRefusals(context, async (tx) => {
      const { consultation, incidentAt, ageBand } = await this.requireAssignedOfficer(tx, context, consultationId, 'complete');
      const current = await tx.riskAssessments.lockCurrent(consultationId);
      if (current && current.state !== EDITABLE) throw this.refuseEdit(current, 'complete');
      const base = current ? this.view(current, incidentAt) : this.emptyView(consultation, incidentAt, ageBand);
      const form = this.formOf(base);
      const input = { answers: base.answers, facts: this.facts(base, incidentAt), judgement: base.judgement };
      const problems = assessmentProblems(form, input, this.deps.settings, 'complete');
      if (Object.keys(problems).length > 0) throw new ValidationError(completionRefusal(form, base.score, problems), problems);
      if (!current || current.revision !== revision) return { saved: false as const, current: current ? base : null };
      const at = this.deps.now();
      const score = form.score(input.answers, input.facts, this.deps.settings, input.judgement);
      const item = await this.deps.evidence.registerForm(tx, context, {
        id: current.id,
        consultationId,
        label: `Risk assessment (${form.title}), version ${current.version}`,
        name: `${form.version.toLowerCase()}-v${current.version}.txt`,
        completedAt: at,
        text: renderRiskAssessment({
          form,
          reference: consultation.reference,
          version: current.version,
          amendmentReason: current.amendmentReason,
          completedAt: at,
          completedBy: context.actor.type === 'user' ? context.actor.username : 'system',
          ...input,
          score,
        }),
      });
      const completed = await tx.riskAssessments.updateAtRevision(current.id, current.revision, {
        state: 'completed',
        yesCount: score.yesCount,
        actuarialGrade: score.actuarialGrade,
        grade: score.grade,
        maracReferral: score.marac.referral,
        maracReasons: score.marac.reasons,
        highRiskFlags: score.highRiskFlags,
        routing: score.routing.route,
        scoringSettings: score.settings,
        completedAt: at,
        completedBy: this.userId(context),
        evidenceItemId: item.id,
        updatedAt: at,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'risk_assessment.completed',
        subject: `consultation:${consultationId}`,
        details: { assessmentId: current.id, formVersion: form.version, version: current.version, evidenceItemId: item.id, sha256: item.sha256 },
      });
      await this.deps.onCompleted?.(tx, context, consultationId, at);
      return { saved: true as const, assessment: this.view(completed!, incidentAt) };
    });
  }

  /** A completed or signed-off assessment is never edited: an amendment is a new draft version, with the reason (DASH-02). */
  async amend(context: RequestContext, consultationId: string, reasonInput: string): Promise<RiskAssessmentView> {
    const reason = reasonInput.trim();
    if (reason.length < MIN_REASON_LENGTH || reason.length > MAX_REASON_LENGTH)
      throw new ValidationError(`Say why the assessment needs amending (${MIN_REASON_LENGTH} to 2,000 characters)`, {
        amendmentReason: `Say why the assessment needs amending (${MIN_REASON_LENGTH} to 2,000 characters)`,
      });
    return this.withAuditedRefusals(context, async (tx) => {
      const { incidentAt } = await this.requireAssignedOfficer(tx, context, consultationId, 'amend');
      const current = await tx.riskAssessments.lockCurrent(consultationId);
      if (!current) throw new NotFoundError('There is no risk assessment to amend yet');
      if (current.state === EDITABLE) throw new ConflictError('This assessment is still a draft: change it directly, no amendment is needed');
      const at = this.deps.now();
      const created = await tx.riskAssessments.create({
        consultationId,
        formVersion: current.formVersion,
        version: current.version + 1,
        supersedesId: current.id,
        amendmentReason: reason,
        state: EDITABLE,
        answers: current.answers,
        victimAgeBand: current.victimAgeBand,
        priorIncidents12Months: current.priorIncidents12Months,
        lastMaracReferralAt: current.lastMaracReferralAt,
        // The officer's own grade carries over only where it differed from the actuarial one (their judgement).
        grade: current.grade !== current.actuarialGrade ? current.grade : null,
        judgementReferral: current.judgementReferral,
        judgementReason: current.judgementReason,
        revision: 1,
        createdBy: this.userId(context),
        updatedAt: at,
      });
      if (!created) throw new ConflictError('Someone amended this assessment a moment ago. Reload to see the new version.');
      await tx.riskAssessments.markSuperseded(current.id, at);
      await this.deps.audit.record(tx.audit, context, {
        what: 'risk_assessment.amended',
        subject: `consultation:${consultationId}`,
        justification: reason,
        details: { assessmentId: created.id, supersedesId: current.id, version: created.version, supersededState: current.state },
      });
      return this.view(created, incidentAt);
    });
  }

  /** DASH-01: a supervisor reviews and signs off each completed assessment; a draft cannot be signed off. */
  async signOff(context: RequestContext, assessmentId: string, noteInput: string | undefined): Promise<RiskAssessmentRow> {
    const note = text(noteInput);
    if (note && note.length > MAX_REASON_LENGTH)
      throw new ValidationError('Keep the note to 2,000 characters or fewer', { note: 'Keep the note to 2,000 characters or fewer' });
    return this.withAuditedRefusals(context, async (tx) => {
      const row = await tx.riskAssessments.lockById(assessmentId);
      if (!row) throw new NotFoundError('There is no risk assessment with that id');
      const subject = `consultation:${row.consultationId}`;
      const refuse = (error: AppError, refusal: string) => new AuditedRefusal(error, subject, { assessmentId, action: 'sign_off', refusal, state: row.state });
      if (row.state === EDITABLE)
        throw refuse(new ConflictError('This assessment is still a draft: the officer must complete it before it can be signed off'), 'draft');
      if (row.state !== 'completed')
        throw refuse(new ConflictError(`This assessment is ${STATE_WORDS[row.state] ?? row.state}: it cannot be signed off`), row.state);
      if (row.completedBy && row.completedBy === this.userId(context))
        throw refuse(new ForbiddenError('You completed this assessment: another supervisor must sign it off'), 'own_assessment');
      const at = this.deps.now();
      const signed = await tx.riskAssessments.updateAtRevision(row.id, row.revision, {
        state: 'signed_off',
        signedOffAt: at,
        signedOffBy: this.userId(context),
        signOffNote: note,
        updatedAt: at,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'risk_assessment.signed_off',
        subject,
        details: { assessmentId, version: row.version, withNote: note !== null },
      });
      return signed!;
    });
  }

  /** Completed assessments awaiting a supervisor's sign-off: High first, then the longest waiting. */
  awaitingSignOff(limit = 200) {
    return this.data.repos.riskAssessments.listAwaitingSignOff(limit);
  }

  /** Every version of a consultation's assessment, newest first; the reading is logged (victims' sensitive data). */
  async record(context: RequestContext, consultationId: string) {
    const record = await this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      requireInvestigationReader(context, consultation, 'risk_assessment.view');
      const incident = (await tx.incidents.findById(consultation.incidentId))!;
      const rows = await tx.riskAssessments.listByConsultation(consultationId);
      await this.deps.audit.record(tx.audit, context, {
        what: 'risk_assessment.viewed',
        subject: `consultation:${consultationId}`,
        details: { versions: rows.map((r) => r.version) },
      });
      return {
        consultation,
        versions: rows.map((row) => ({ form: this.formOf(row), assessment: this.view(row, incident.receivedAt) })),
        canWrite: this.isAssignedOfficer(context, consultation),
      };
    });
    // The assigned officer gets the working panel too (to finish or amend after the call).
    return { ...record, panel: record.canWrite ? await this.panel(context, consultationId) : undefined };
  }

  /** The current assessment of a consultation in brief, for other features (quality review, dashboard); undefined if none. */
  async currentSummary(consultationId: string): Promise<RiskAssessmentSummary | undefined> {
    const row = await this.data.repos.riskAssessments.findCurrent(consultationId);
    if (!row) return undefined;
    return {
      id: row.id,
      formVersion: row.formVersion,
      version: row.version,
      state: row.state,
      grade: row.state === EDITABLE ? null : isGrade(row.grade) ? row.grade : null,
      yesCount: row.yesCount,
      maracReferral: row.maracReferral,
      highRiskFlags: Array.isArray(row.highRiskFlags) ? (row.highRiskFlags as { code: string }[]).map((f) => f.code) : [],
      routing: row.routing,
      signedOff: row.state === 'signed_off',
    };
  }

  private merge(form: RiskForm, base: RiskAssessmentView, patch: RiskDraftPatch, incidentAt: Date) {
    // Unknown ids and malformed entries are refused before anything is merged; a follow-up is checked against its
    // question as it will stand (saved earlier, or in this patch).
    const given = Object.fromEntries(Object.entries(patch.answers ?? {}).map(([id, entry]) => [id, entry ?? {}]));
    const problems = answerProblems(form, { ...base.answers, ...given });
    if (Object.keys(problems).length > 0) throw new ValidationError(summarise(problems), problems);
    const answers: Record<string, AnswerEntry> = { ...base.answers };
    for (const [id, entry] of Object.entries(patch.answers ?? {})) {
      const kept: AnswerEntry = {};
      if (entry?.answer) kept.answer = entry.answer;
      if (entry?.comment?.trim()) kept.comment = entry.comment;
      if (kept.answer || kept.comment) answers[id] = kept;
      else delete answers[id];
    }
    const facts = { ...base.facts, ...patch.facts };
    const judgement = { ...base.judgement, ...patch.judgement };
    return {
      answers,
      facts: this.facts({ facts }, incidentAt),
      judgement: { grade: judgement.grade ?? null, referral: judgement.referral, reason: text(judgement.reason) },
    };
  }

  private facts(view: Pick<RiskAssessmentView, 'facts'>, incidentAt: Date): RiskFacts {
    const on = view.facts.lastMaracReferralOn;
    return {
      incidentAt,
      victimAgeBand: view.facts.victimAgeBand,
      priorIncidents12Months: view.facts.priorIncidents12Months,
      lastMaracReferralAt: on ? londonDayStart(on) : null,
    };
  }

  private view(row: RiskAssessmentRow, incidentAt: Date): RiskAssessmentView {
    const form = this.formOf(row);
    const answers = (row.answers ?? {}) as Answers;
    const facts = {
      victimAgeBand: storedAgeBand(row.victimAgeBand),
      priorIncidents12Months: row.priorIncidents12Months,
      lastMaracReferralOn: londonDayText(row.lastMaracReferralAt),
    };
    const judgement: Judgement = {
      grade: isGrade(row.grade) ? row.grade : null,
      referral: row.judgementReferral,
      reason: row.judgementReason,
    };
    const riskFacts = this.facts({ facts }, incidentAt);
    let score: RiskScore;
    if (row.state === EDITABLE) score = form.score(answers, riskFacts, this.deps.settings, judgement);
    else {
      // A completed version shows what was stored, scored with the settings of its day (never today's bands).
      const settings = (row.scoringSettings as ScoringSettings | null) ?? this.deps.settings;
      const officerGrade = row.grade !== row.actuarialGrade ? judgement.grade : null;
      const rescored = form.score(answers, riskFacts, settings, { ...judgement, grade: officerGrade });
      score = {
        ...rescored,
        yesCount: row.yesCount ?? rescored.yesCount,
        actuarialGrade: isGrade(row.actuarialGrade) ? row.actuarialGrade : rescored.actuarialGrade,
        grade: isGrade(row.grade) ? row.grade : rescored.grade,
        marac: {
          referral: row.maracReferral ?? rescored.marac.referral,
          reasons: (row.maracReasons as RiskScore['marac']['reasons']) ?? rescored.marac.reasons,
        },
        highRiskFlags: (row.highRiskFlags as RiskScore['highRiskFlags']) ?? rescored.highRiskFlags,
      };
    }
    return {
      id: row.id,
      consultationId: row.consultationId,
      formVersion: row.formVersion,
      formTitle: form.title,
      version: row.version,
      state: row.state,
      revision: row.revision,
      answers,
      facts,
      judgement,
      score,
      supersedesId: row.supersedesId,
      amendmentReason: row.amendmentReason,
      completedAt: row.completedAt,
      completedBy: row.completedBy,
      signedOffAt: row.signedOffAt,
      signedOffBy: row.signedOffBy,
      signOffNote: row.signOffNote,
      evidenceItemId: row.evidenceItemId,
    };
  }

  /** Before the first save: an empty draft at revision 0, with the age band the call handler recorded. */
  private emptyView(consultation: ConsultationRow, incidentAt: Date, ageBand: AgeBand | null): RiskAssessmentView {
    const form = CURRENT_RISK_FORM;
    const facts = { victimAgeBand: ageBand, priorIncidents12Months: null, lastMaracReferralOn: null };
    const judgement: Judgement = { grade: null, referral: false, reason: null };
    return {
      id: '',
      consultationId: consultation.id,
      formVersion: form.version,
      formTitle: form.title,
      version: 1,
      state: EDITABLE,
      revision: 0,
      answers: {},
      facts,
      judgement,
      score: form.score({}, this.facts({ facts }, incidentAt), this.deps.settings, judgement),
      supersedesId: null,
      amendmentReason: null,
      completedAt: null,
      completedBy: null,
      signedOffAt: null,
      signedOffBy: null,
      signOffNote: null,
      evidenceItemId: null,
    };
  }

  private async currentView(tx: Repositories, consultationId: string, incidentAt: Date): Promise<RiskAssessmentView | null> {
    const row = await tx.riskAssessments.findCurrent(consultationId);
    return row ? this.view(row, incidentAt) : null;
  }

  private async requireAssignedOfficer(tx: Repositories, context: RequestContext, consultationId: string, action: string) {
    const consultation = await tx.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    if (!this.isAssignedOfficer(context, consultation))
      throw new AuditedRefusal(
        new ForbiddenError('Only the officer who accepted this consultation can record its risk assessment'),
        `consultation:${consultationId}`,
        { action, refusal: 'not_assigned_officer' },
      );
    const incident = (await tx.incidents.findById(consultation.incidentId))!;
    return { consultation, incidentAt: incident.receivedAt, ageBand: storedAgeBand(incident.ageBand) };
  }

  private refuseEdit(row: RiskAssessmentRow, action: string): AuditedRefusal {
    return new AuditedRefusal(
      new ConflictError(
        `This risk assessment is ${STATE_WORDS[row.state] ?? row.state} and cannot be changed. Amend it to make a new version, giving your reason.`,
      ),
      `consultation:${row.consultationId}`,
      { assessmentId: row.id, action, refusal: 'not_a_draft', state: row.state },
    );
  }

  private async withAuditedRefusals<T>(context: RequestContext, work: (tx: Repositories) => Promise<T>): Promise<T> {
    try {
      return await this.data.transaction(work);
    } catch (error) {
      if (!(error instanceof AuditedRefusal)) throw error;
      await this.data.transaction((tx) =>
        this.deps.audit.record(tx.audit, context, { what: 'risk_assessment.refused', subject: error.subject, details: error.details }),
      );
      throw error.error;
    }
  }

  private isAssignedOfficer(context: RequestContext, consultation: ConsultationRow): boolean {
    return context.actor.type === 'user' && consultation.officerId === context.actor.userId;
  }

  private userId(context: RequestContext): string | null {
    return context.actor.type === 'user' ? context.actor.userId : null;
  }
}

function pick(problems: Record<string, string>, fields: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(problems).filter(([field]) => fields.includes(field)));
}

function summarise(problems: Record<string, string>): string {
  const messages = Object.values(problems);
  return messages.length === 1 ? messages[0]! : `${messages.length} things need fixing: ${messages.slice(0, 3).join('; ')}${messages.length > 3 ? '; …' : ''}`;
}

/** DASH-01: names every unanswered question by number, then anything else that stops completion. */
function completionRefusal(form: RiskForm, score: RiskScore, problems: Record<string, string>): string {
  const unanswered = score.missing.map((id) => questionLabel(form, id).replace(/^question /, ''));
  const others = Object.entries(problems)
    .filter(([id]) => !score.missing.includes(id))
    .map(([, message]) => message);
  const parts = [];
  if (unanswered.length > 0) parts.push(`Answer every question before completing. Not yet answered: ${unanswered.join(', ')}`);
  parts.push(...others);
  return parts.join('. ');
}
