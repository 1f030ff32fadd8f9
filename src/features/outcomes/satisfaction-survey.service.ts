import type { Logger } from 'pino';
import type { DataAccess, Repositories } from '../../data-access.js';
import type { OutcomesConfig } from '../../config.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { AppError, ValidationError } from '../../platform/errors.js';
import { translator } from '../../platform/i18n/i18n.js';
import { SmsDeliveryError, type SmsSender } from '../../platform/sms/sms-sender.js';
import type { ConsultationRow } from '../consultations/consultation.service.js';
import { hashToken, isWellFormedToken, newSecretToken } from '../video/call-tokens.js';
import type { SurveyRow } from './surveys.repository.js';

export const SURVEY_COMMENT_MAX_LENGTH = 1000;
/** How many due surveys one run of the job sends (the job runs every minute). */
const SEND_BATCH = 50;
/** A send still marked 'sending' after this long was interrupted (the process stopped mid-send). */
const STUCK_SEND_MINUTES = 10;

export type SurveyRefusal = 'malformed' | 'unknown' | 'used' | 'expired';

/** Calm, plain words for the victim's phone: what happened and that nothing more is needed. No police words (RVR-11). */
/** What each refused survey link tells the person: the message catalogs' `survey.refusal.<reason>` (issue 17 §2); English here. */
export const SURVEY_REFUSALS: Record<SurveyRefusal, { title: string; advice: string }> = Object.fromEntries(
  (['malformed', 'unknown', 'used', 'expired'] as const).map((refusal) => [
    refusal,
    { title: translator('en')(`survey.refusal.${refusal}.title`), advice: translator('en')(`survey.refusal.${refusal}.advice`) },
  ]),
) as Record<SurveyRefusal, { title: string; advice: string }>;

export class SurveyRefusedError extends AppError {
  constructor(readonly refusal: SurveyRefusal) {
    super(refusal === 'malformed' || refusal === 'unknown' ? 404 : 410, SURVEY_REFUSALS[refusal].title);
  }
}

export interface SurveyDeps {
  data: DataAccess;
  audit: AuditTrail;
  sms: SmsSender;
  config: OutcomesConfig;
  publicBaseUrl: string;
  log: Logger;
  now: () => Date;
}

/**
 * The victim satisfaction survey (issue 7 item 8, policy 2.2): after a call the victim joined, a neutral text
 * (RVR-11) with a single-use link (RVR-07 link rules: random token, only its hash stored, expiring); a 1–5
 * rating and an optional comment, kept with nothing but the consultation it belongs to.
 */
export class SatisfactionSurveyService {
  constructor(private readonly deps: SurveyDeps) {}

  /**
   * The consultation-ended handler (registered in composition.ts): runs in the ending transition's transaction.
   * Only a victim who joined the video call is asked. The row gets a random placeholder token that no one holds;
   * the token of the texted link is made when it is sent, so the link never exists before it is needed.
   * A victim who used the quick exit or said they were not safe is not texted at all (RVR-11): someone else may
   * have their phone, and a text about the call could put them at risk.
   */
  async scheduleOnEnded(tx: Repositories, context: RequestContext, consultation: ConsultationRow, endedAt: Date): Promise<void> {
    // Policy 2.2: the trial's standard arm (sent to in-person attendance at triage) is surveyed too, after the
    // attendance, so satisfaction can be compared between the arms.
    const standardArm = !consultation.victimJoinedAt && (await tx.evaluation.findAllocation(consultation.id))?.arm === 'standard';
    if (!consultation.victimJoinedAt && !standardArm) return;
    if (await tx.surveys.victimSignalledDanger(consultation.id)) {
      await this.deps.audit.record(tx.audit, context, {
        what: 'survey.not_scheduled',
        subject: `consultation:${consultation.id}`,
        details: { reason: 'quick exit or not-safe alert' },
      });
      return;
    }
    const sendAfter = new Date(
      endedAt.getTime() + (standardArm ? this.deps.config.surveyStandardArmDelayHours * 3_600_000 : this.deps.config.surveyDelayMinutes * 60_000),
    );
    const survey = await tx.surveys.schedule({
      consultationId: consultation.id,
      tokenHash: hashToken(newSecretToken()),
      sendAfter,
      expiresAt: new Date(sendAfter.getTime() + this.deps.config.surveyTtlHours * 3_600_000),
    });
    if (!survey) return;
    await this.deps.audit.record(tx.audit, context, {
      what: 'survey.scheduled',
      subject: `consultation:${consultation.id}`,
      details: { surveyId: survey.id, sendAfter: sendAfter.toISOString(), ...(standardArm ? { arm: 'standard' } : {}) },
    });
  }

  /** The job's work (every minute) and what tests call directly: expire what is too late, send what is due. */
  async sendDue(context: RequestContext = systemContext('satisfaction-survey', 'scheduled')): Promise<{ sent: number; failed: number; expired: number }> {
    const at = this.deps.now();
    const closed = await this.deps.data.transaction(async (tx) => {
      const expired = await tx.surveys.expireUnsent(at);
      const stuck = await tx.surveys.failStuckSends(new Date(at.getTime() - STUCK_SEND_MINUTES * 60_000));
      for (const survey of expired) await this.record(tx, context, 'survey.expired_unsent', survey, {});
      for (const survey of stuck) await this.record(tx, context, 'survey.send_failed', survey, { reason: 'interrupted', retrying: false });
      return expired.length;
    });
    let sent = 0;
    let failed = 0;
    for (const survey of await this.deps.data.repos.surveys.listDue(at, SEND_BATCH)) {
      const outcome = await this.send(context, survey);
      if (outcome === 'sent') sent += 1;
      else if (outcome === 'failed') failed += 1;
    }
    return { sent, failed, expired: closed };
  }

  private async send(context: RequestContext, survey: SurveyRow): Promise<'sent' | 'failed' | 'skipped'> {
    const token = newSecretToken();
    const claimed = await this.deps.data.transaction(async (tx) => {
      if (!(await tx.surveys.claimForSending(survey.id, hashToken(token), this.deps.now()))) return undefined;
      const phone = await tx.surveys.phoneFor(survey.consultationId);
      return phone === undefined ? undefined : { phone, language: await tx.surveys.languageFor(survey.consultationId) };
    });
    if (claimed === undefined) return 'skipped';
    // Issue 17 §2: a caller who chose Welsh at triage gets the text in Welsh, and the link opens the survey in Welsh.
    const welsh = claimed.language === 'cy';
    const link = `${this.deps.publicBaseUrl}/s/${token}${welsh ? '?lang=cy' : ''}`;
    const body = (welsh ? this.deps.config.surveyTextCy : this.deps.config.surveyText).replace('{link}', link);
    try {
      const receipt = await this.deps.sms.send({ to: claimed.phone, body, reference: survey.id });
      await this.deps.data.transaction(async (tx) => {
        await tx.surveys.markSent(survey.id, receipt.provider, receipt.providerMessageId);
        await this.record(tx, context, 'survey.sent', survey, { provider: receipt.provider });
      });
      return 'sent';
    } catch (error) {
      const reason = error instanceof SmsDeliveryError ? error.message : 'The text service could not be reached';
      const retrying = !(error instanceof SmsDeliveryError) || error.retryable;
      this.deps.log.warn({ surveyId: survey.id, retrying }, 'satisfaction survey text not sent');
      await this.deps.data.transaction(async (tx) => {
        await tx.surveys.markSendFailed(survey.id, reason, retrying);
        await this.record(tx, context, 'survey.send_failed', survey, { reason, retrying });
      });
      return 'failed';
    }
  }

  /** The survey behind a link, if it can still be answered; every refusal is audited (never the token). */
  async open(token: string, clientIp: string | undefined, correlationId: string): Promise<{ surveyId: string }> {
    const survey = await this.findAnswerable(token, { ...systemContext('survey-link', correlationId), clientIp });
    return { surveyId: survey.id };
  }

  /**
   * Records the answer once. The link is checked first (a reused or expired link is refused whatever was sent),
   * then the rating (1–5) and the comment (optional, at most SURVEY_COMMENT_MAX_LENGTH characters).
   */
  async answer(token: string, input: { rating?: string; comment?: string }, clientIp: string | undefined, correlationId: string): Promise<void> {
    const context: RequestContext = { ...systemContext('survey-link', correlationId), clientIp };
    const survey = await this.findAnswerable(token, context);
    const rating = input.rating !== undefined && /^[1-5]$/.test(input.rating) ? Number(input.rating) : undefined;
    const comment = input.comment?.trim() || null;
    const errors: Record<string, string> = {};
    if (rating === undefined) errors.rating = 'Choose a number from 1 to 5';
    if (comment && comment.length > SURVEY_COMMENT_MAX_LENGTH) errors.comment = `Your comment must be ${SURVEY_COMMENT_MAX_LENGTH} characters or fewer`;
    if (Object.keys(errors).length > 0) throw new ValidationError(Object.values(errors).join('. '), errors);
    const answered = await this.deps.data.transaction(async (tx) => {
      if (!(await tx.surveys.answer(survey.id, this.deps.now(), rating!, comment))) return false;
      await this.record(tx, context, 'survey.answered', survey, { fields: comment ? ['rating', 'comment'] : ['rating'] });
      return true;
    });
    // Lost a race with another answer (or the link expired meanwhile): refused like any reused link.
    if (!answered) await this.refuse(context, this.deps.now() >= survey.expiresAt ? 'expired' : 'used', survey);
  }

  private async findAnswerable(token: string, context: RequestContext): Promise<SurveyRow> {
    if (!isWellFormedToken(token)) return this.refuse(context, 'malformed', undefined);
    const survey = await this.deps.data.repos.surveys.findByTokenHash(hashToken(token));
    if (!survey) return this.refuse(context, 'unknown', undefined);
    if (survey.state === 'answered') return this.refuse(context, 'used', survey);
    if (survey.state === 'expired' || survey.expiresAt <= this.deps.now()) return this.refuse(context, 'expired', survey);
    if (survey.state !== 'sent') return this.refuse(context, 'unknown', survey);
    return survey;
  }

  /**
   * A refusal that concerns a real survey (used, expired) is audited against its consultation; a malformed or unknown
   * token concerns no one's data and goes to the log only, so strangers cannot fill the audit chain from a public page.
   */
  private async refuse(context: RequestContext, refusal: SurveyRefusal, survey: SurveyRow | undefined): Promise<never> {
    if (!survey) {
      this.deps.log.info({ refusal, correlationId: context.correlationId }, 'survey link refused');
      throw new SurveyRefusedError(refusal);
    }
    await this.deps.data.transaction((tx) =>
      this.deps.audit.record(tx.audit, context, {
        what: 'survey.link_refused',
        subject: `consultation:${survey.consultationId}`,
        details: { refusal, surveyId: survey.id },
      }),
    );
    throw new SurveyRefusedError(refusal);
  }

  private async record(tx: Repositories, context: RequestContext, what: string, survey: SurveyRow, details: Record<string, unknown>): Promise<void> {
    await this.deps.audit.record(tx.audit, context, { what, subject: `consultation:${survey.consultationId}`, details: { surveyId: survey.id, ...details } });
  }
}
