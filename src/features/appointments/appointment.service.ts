import type { Logger } from 'pino';
import type { AppointmentsConfig } from '../../config.js';
import type { DataAccess, Repositories } from '../../data-access.js';
import {
  APPOINTMENT_REASONS,
  BEST_TIMES,
  appointmentWindow,
  decideBooking,
  decideChangeRequest,
  isMissed,
  isReminderDue,
  londonClockText,
  londonSlotText,
  type SlotWords,
  offeredSlots,
  windowPosition,
  type AppointmentReason,
  type AppointmentStatus,
  type BestTime,
} from '../../domain/appointments.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { isLanguage, translator, type Language } from '../../platform/i18n/i18n.js';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { SmsDeliveryError, type SmsSender } from '../../platform/sms/sms-sender.js';
import type { ConsultationRow, ConsultationService } from '../consultations/consultation.service.js';
import type { IntakeInput, IntakeResult, TriageService } from '../control-room/triage.service.js';
import { assertAssignedOfficer, type CallService } from '../video/call.service.js';
import type { CallLinksService } from '../video/call-links.service.js';
import { hashToken, isWellFormedToken, newSecretToken } from '../video/call-tokens.js';
import type { AppointmentRow } from './appointments.repository.js';

/** How many appointments one run of the job reminds or closes (the job runs every minute). */
const BATCH = 50;
const FOLLOW_UP_NOTE_MAX = 1000;

export interface AppointmentDeps {
  data: DataAccess;
  audit: AuditTrail;
  consultations: ConsultationService;
  /** Issue 17 §4: the intake, for a booking made by the call handler at triage. */
  triage: Pick<TriageService, 'intake'>;
  calls: Pick<CallService, 'openScheduledCall'>;
  links: Pick<CallLinksService, 'issueAppointmentLink'>;
  sms: SmsSender;
  config: AppointmentsConfig;
  publicBaseUrl: string;
  log: Logger;
  now: () => Date;
}

/** The victim's appointment page, as the page shows it (no personal data: a time, the choices, what to do). */
export interface AppointmentPage {
  position: 'early' | 'open' | 'closed';
  status: AppointmentStatus;
  slotText: string;
  opensAtText: string;
  offered: { value: string; text: string }[];
  bestTimes: { value: string; text: string }[];
  canAskForAnotherTime: boolean;
  changeRequested: boolean;
  /** Issue 17 §2: the page's language (the consultation's, or the one the person chose on the toggle). */
  language: Language;
}

/** The intake form's booking fields (issue 17 §4: the call handler books at triage), named as the form names them. */
export const TRIAGE_BOOKING_FIELDS = { date: 'appointmentDate', time: 'appointmentTime', reason: 'appointmentReason' } as const;

/** What the intake with a booking did: the booking is made only for an eligible call routed to RVR. */
export interface TriageBookingResult extends IntakeResult {
  appointment: AppointmentRow | undefined;
  /** The booking stands but its text was not sent (the consultation page shows the error). */
  textFailed: boolean;
}

/** Why "Join" was refused: the page says it in its language (catalog key appointment.refused…). */
export type JoinRefusal = 'joined' | 'early' | 'passed' | 'notOpen';

/** A time's words in one language, from the catalogs (issue 17 §2). */
export function slotWords(language: Language): SlotWords {
  const t = translator(language);
  return { locale: language === 'cy' ? 'cy-GB' : 'en-GB', at: t('appointment.slotAt'), am: t('appointment.am'), pm: t('appointment.pm') };
}

const BEST_TIME_KEYS: Record<BestTime, string> = {
  morning: 'appointment.bestMorning',
  afternoon: 'appointment.bestAfternoon',
  evening: 'appointment.bestEvening',
};

/** Why the appointment page's "Join" was refused, in calm words for the victim (no police words: RVR-11). */
export class AppointmentJoinRefusedError extends AppError {
  constructor(
    message: string,
    readonly page: AppointmentPage,
    readonly reason: JoinRefusal,
  ) {
    super(409, message);
  }
}

/**
 * A video appointment for later (issue 17 §4, policy 4.0 "a delayed service where possible"): the officer books a
 * time; the victim is texted the time (neutral words, RVR-11) with a link to the appointment page; shortly before,
 * the platform opens the call, moves the consultation to invited and texts the link again; in the window the victim
 * joins from that page (a single-use call link is made and used at once, RVR-07); nobody joined by the end of the
 * window: missed, a follow-up for a supervisor. The victim may ask for another time from the page. Every change is
 * audited; the job (runDue) runs every minute on any node, each step a conditional update so it happens once.
 */
export class AppointmentService {
  constructor(private readonly deps: AppointmentDeps) {}

  private get data() {
    return this.deps.data;
  }

  /** The booking form's data: the consultation, its latest appointment and the reasons, for its officer only. */
  async bookingForm(context: RequestContext, consultationId: string) {
    const consultation = await this.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    assertAssignedOfficer(context, consultation, 'appointment.book');
    const latest = await this.data.repos.appointments.findLatestByConsultation(consultationId);
    return { consultation, latest, reasons: Object.entries(APPOINTMENT_REASONS).map(([value, text]) => ({ value, text })) };
  }

  /**
   * Books (or rebooks) a time: the consultation moves from accepted to appointment_booked (its officer is free until
   * then), any earlier open appointment is cancelled, and the victim is texted the time and the page's link after the
   * commit. A text the provider refused leaves the booking in place with the error, and says so (502).
   */
  async book(context: RequestContext, consultationId: string, input: { date: string; time: string; reason: string }): Promise<AppointmentRow> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in as the officer to book an appointment');
    const userId = context.actor.userId;
    const at = this.deps.now();
    const decision = decideBooking(input, at, this.deps.config);
    const token = newSecretToken();
    const appointment = await this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      assertAssignedOfficer(context, consultation, 'appointment.book');
      if (consultation.state !== 'accepted' && consultation.state !== 'appointment_booked')
        throw new ConflictError(`An appointment is booked from an accepted consultation; this one is ${consultation.state.replaceAll('_', ' ')}.`);
      if (!decision.allowed) throw new ValidationError(decision.message, { [decision.field]: decision.message });
      const replaced = await tx.appointments.cancelOpen(consultationId, at);
      const created = await tx.appointments.create({
        consultationId,
        officerId: consultation.officerId!,
        slot: decision.slot,
        reason: input.reason,
        pageTokenHash: hashToken(token),
        bookedBy: userId,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: replaced.length > 0 ? 'appointment.rebooked' : 'appointment.booked',
        subject: `consultation:${consultationId}`,
        details: { appointmentId: created.id, slot: decision.slot.toISOString(), reason: input.reason, replaced },
      });
      if (consultation.state === 'accepted') await this.deps.consultations.applyTransition(tx, context, consultationId, 'appointment_booked');
      else await this.notify(tx, consultation);
      return created;
    });
    await this.sendBookingText(context, appointment, token);
    return (await this.data.repos.appointments.findById(appointment.id))!;
  }

  /**
   * Issue 17 §4: "the call handler at triage books a time". The intake form's "the caller cannot talk now: book a
   * video appointment": the triage and the booking are one transaction (same rule, decideBooking; same audit), so an
   * eligible call goes from triaged_eligible straight to appointment_booked and never waits in the queue as a call to
   * take now. No officer holds it yet (officerId null): one takes it before the time. An ineligible call, or one the
   * evaluation trial sends to attendance, is triaged as usual and nothing is booked. The same neutral text follows
   * the commit.
   */
  async intakeWithAppointment(
    context: RequestContext,
    intake: IntakeInput,
    booking: { date: string; time: string; reason: string },
    source: string,
  ): Promise<TriageBookingResult> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in as the call handler to book an appointment');
    const userId = context.actor.userId;
    const decision = decideBooking(booking, this.deps.now(), this.deps.config);
    const token = newSecretToken();
    let appointment: AppointmentRow | undefined;
    const result = await this.deps.triage.intake(context, intake, source, undefined, {
      errors: decision.allowed ? {} : { [TRIAGE_BOOKING_FIELDS[decision.field]]: decision.message },
      book: async (tx, routing, consultationId) => {
        if (!decision.allowed) throw new ValidationError(decision.message);
        appointment = await tx.appointments.create({
          consultationId,
          officerId: null,
          slot: decision.slot,
          reason: booking.reason,
          pageTokenHash: hashToken(token),
          bookedBy: userId,
        });
        await this.deps.audit.record(tx.audit, routing, {
          what: 'appointment.booked',
          subject: `consultation:${consultationId}`,
          details: { appointmentId: appointment.id, slot: decision.slot.toISOString(), reason: booking.reason, replaced: [], atTriage: true },
        });
        return this.deps.consultations.applyTransition(tx, routing, consultationId, 'appointment_booked');
      },
    });
    if (!appointment) return { ...result, appointment, textFailed: false };
    try {
      await this.sendBookingText(context, appointment, token);
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode !== 502) throw error;
      return { ...result, appointment, textFailed: true };
    }
    return { ...result, appointment, textFailed: false };
  }

  /**
   * Issue 17 §4: an RVR officer takes an appointment the call handler booked at triage, before its link is texted:
   * the consultation becomes theirs as if they had booked it (they stay free for other calls until the reminder).
   * Once the link has gone, or another officer took it, only a supervisor's reassignment moves it.
   */
  async take(context: RequestContext, appointmentId: string): Promise<AppointmentRow> {
    if (context.actor.type !== 'user' || !context.actor.roles.includes('rvr_officer')) throw new ForbiddenError('Only an RVR officer can take an appointment');
    const userId = context.actor.userId;
    return this.data.transaction(async (tx) => {
      const appointment = await tx.appointments.findById(appointmentId);
      if (!appointment) throw new NotFoundError('No appointment with that id');
      const consultation = (await tx.consultations.findById(appointment.consultationId))!;
      const notTakeable = 'This appointment already has an officer or its link has been texted: a supervisor can reassign it.';
      if (appointment.status !== 'booked' || consultation.state !== 'appointment_booked' || consultation.officerId !== null)
        throw new ConflictError(notTakeable);
      // SC-8: the same training gate as accepting a call from the queue.
      await this.deps.consultations.assertMayWorkCalls(tx, context, consultation.id, 'appointment.take');
      const held = await tx.consultations.reassign({ id: consultation.id, expectedVersion: consultation.version, officerId: userId });
      const taken = held ? await tx.appointments.assignOfficer(appointment.id, userId) : undefined;
      if (!held || !taken) throw new ConflictError(notTakeable);
      await tx.consultations.insertEvent({
        consultationId: consultation.id,
        fromState: 'appointment_booked',
        toState: 'appointment_booked',
        actorId: userId,
        actorRole: 'rvr_officer',
        reason: 'Took the video appointment booked at triage',
        at: this.deps.now(),
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'appointment.taken',
        subject: `consultation:${consultation.id}`,
        details: { appointmentId: appointment.id, slot: appointment.slot.toISOString() },
      });
      await this.notify(tx, held);
      return taken;
    });
  }

  /** The booking text, in the consultation's language (issue 17 §2, as the call link's text is), after the commit. */
  private async sendBookingText(context: RequestContext, appointment: AppointmentRow, token: string): Promise<void> {
    const language = await this.languageOf(appointment.consultationId);
    const bookingText = language === 'cy' ? this.deps.config.bookingTextCy : this.deps.config.bookingText;
    const body = bookingText.replace('{time}', londonSlotText(appointment.slot, slotWords(language))).replace('{link}', this.pageLink(token));
    await this.text(context, appointment, 'booking', body);
  }

  /** The job's work (every minute) and what tests call directly: remind what is due, close what was missed. */
  async runDue(context: RequestContext = systemContext('appointments', 'scheduled')): Promise<{ reminded: number; missed: number; failed: number }> {
    const at = this.deps.now();
    let reminded = 0;
    let failed = 0;
    // Only those an officer holds (listBookedUpTo): one booked at triage that no officer has taken yet is not reminded,
    // as its link would open a call nobody answers. It stays on the RVR queue as "No officer yet" (still takeable), is
    // reminded on the first run after an officer takes it, and goes to a supervisor as missed if nobody does before
    // its window closes.
    const due = await this.data.repos.appointments.listBookedUpTo(new Date(at.getTime() + this.deps.config.reminderMinutes * 60_000), BATCH);
    for (const appointment of due.filter((a) => isReminderDue({ slot: a.slot, status: a.status as AppointmentStatus }, at, this.deps.config))) {
      const outcome = await this.remind(context, appointment);
      if (outcome === 'sent') reminded += 1;
      else if (outcome === 'failed') failed += 1;
    }
    let missed = 0;
    const closed = await this.data.repos.appointments.listOpenBefore(new Date(at.getTime() - this.deps.config.windowAfterMinutes * 60_000), BATCH);
    for (const appointment of closed.filter((a) => isMissed({ slot: a.slot, status: a.status as AppointmentStatus }, at, this.deps.config))) {
      const marked = await this.data.transaction(async (tx) => {
        const row = await tx.appointments.markMissed(appointment.id, at);
        if (!row) return false;
        await this.deps.audit.record(tx.audit, context, {
          what: 'appointment.missed',
          subject: `consultation:${row.consultationId}`,
          details: { appointmentId: row.id, slot: row.slot.toISOString(), followUp: 'supervisor' },
        });
        const consultation = await tx.consultations.findById(row.consultationId);
        if (consultation) await this.notify(tx, consultation);
        return true;
      });
      if (marked) missed += 1;
    }
    return { reminded, missed, failed };
  }

  /** booked → reminded: the call is opened and the consultation invited in one transaction, then the text goes. */
  private async remind(context: RequestContext, appointment: AppointmentRow): Promise<'sent' | 'failed' | 'skipped'> {
    const token = newSecretToken();
    const claimed = await this.data.transaction(async (tx) => {
      const row = await tx.appointments.claimReminder(appointment.id, hashToken(token), this.deps.now());
      if (!row) return undefined;
      await this.prepareCall(tx, context, row);
      await this.deps.audit.record(tx.audit, context, {
        what: 'appointment.reminded',
        subject: `consultation:${row.consultationId}`,
        details: { appointmentId: row.id, slot: row.slot.toISOString() },
      });
      return row;
    });
    if (!claimed) return 'skipped';
    const language = await this.languageOf(claimed.consultationId);
    const reminderText = language === 'cy' ? this.deps.config.reminderTextCy : this.deps.config.reminderText;
    const body = reminderText.replace('{time}', londonClockText(claimed.slot, slotWords(language))).replace('{link}', this.pageLink(token));
    try {
      await this.text(context, claimed, 'reminder', body);
      return 'sent';
    } catch {
      return 'failed';
    }
  }

  /** The appointment's call, opened by the platform, and the consultation moved to invited (once). */
  private async prepareCall(tx: Repositories, context: RequestContext, appointment: AppointmentRow): Promise<void> {
    const consultation = await tx.consultations.findById(appointment.consultationId);
    if (consultation?.state !== 'appointment_booked') return;
    await this.deps.calls.openScheduledCall(tx, context, consultation.id);
    await this.deps.consultations.applyTransition(tx, context, consultation.id, 'invited');
  }

  /** Texts the victim (the number is read from the incident, only to send); a refusal is recorded and audited. */
  private async text(context: RequestContext, appointment: AppointmentRow, kind: 'booking' | 'reminder', body: string): Promise<void> {
    const phone = await this.data.repos.appointments.phoneFor(appointment.consultationId);
    try {
      if (!phone) throw new SmsDeliveryError('There is no number to text', false);
      const receipt = await this.deps.sms.send({ to: phone, body, reference: appointment.id });
      await this.data.transaction(async (tx) => {
        if (kind === 'booking') await tx.appointments.markBookingTextSent(appointment.id, this.deps.now());
        await this.deps.audit.record(tx.audit, context, {
          what: 'appointment.text_sent',
          subject: `consultation:${appointment.consultationId}`,
          details: { appointmentId: appointment.id, kind, provider: receipt.provider },
        });
      });
    } catch (error) {
      const reason = error instanceof SmsDeliveryError ? error.message : 'The text service could not be reached';
      this.deps.log.warn({ appointmentId: appointment.id, kind }, 'appointment text not sent');
      await this.data.transaction(async (tx) => {
        await tx.appointments.markSendError(appointment.id, reason);
        await this.deps.audit.record(tx.audit, context, {
          what: 'appointment.text_failed',
          subject: `consultation:${appointment.consultationId}`,
          details: { appointmentId: appointment.id, kind, reason },
        });
      });
      throw new AppError(502, `The appointment is booked but the text was not sent: ${reason}. Book the same time again to resend it.`);
    }
  }

  /** The consultation's language (chosen at triage): the texts' language and the appointment page's default. */
  private async languageOf(consultationId: string): Promise<Language> {
    const language = (await this.data.repos.consultations.findById(consultationId))?.language;
    return isLanguage(language) ? language : 'en';
  }

  private pageLink(token: string): string {
    return `${this.deps.publicBaseUrl}/a/${token}`;
  }

  private async notify(tx: Repositories, consultation: ConsultationRow): Promise<void> {
    await tx.live.notify({ type: 'consultation', id: consultation.id, state: consultation.state, at: this.deps.now().toISOString() });
  }

  // ── The victim's appointment page ──────────────────────────────────────────────────────────────

  private async findByToken(token: string): Promise<AppointmentRow> {
    const row = isWellFormedToken(token) ? await this.data.repos.appointments.findByTokenHash(hashToken(token)) : undefined;
    if (!row) throw new NotFoundError('This link does not work');
    return row;
  }

  private async pageFor(appointment: AppointmentRow, at: Date, chosen?: Language): Promise<AppointmentPage> {
    const language = chosen ?? (await this.languageOf(appointment.consultationId));
    const words = slotWords(language);
    const t = translator(language);
    const status = appointment.status as AppointmentStatus;
    const { opensAt } = appointmentWindow(appointment.slot, this.deps.config);
    const canAskForAnotherTime =
      (status === 'booked' || status === 'reminded' || status === 'missed') && appointment.changeRequests < this.deps.config.maxChangeRequests;
    return {
      position: windowPosition(appointment.slot, at, this.deps.config),
      status,
      slotText: londonSlotText(appointment.slot, words),
      opensAtText: londonClockText(opensAt, words),
      offered: canAskForAnotherTime
        ? offeredSlots(appointment.slot, at, this.deps.config).map((slot) => ({ value: slot.toISOString(), text: londonSlotText(slot, words) }))
        : [],
      bestTimes: (Object.keys(BEST_TIMES) as BestTime[]).map((value) => ({ value, text: t(BEST_TIME_KEYS[value]) })),
      canAskForAnotherTime,
      changeRequested: appointment.changeRequestedAt !== null,
      language,
    };
  }

  /** What the page shows now: when to come back, "Join", or that the time has passed. */
  async page(token: string, chosen?: Language): Promise<AppointmentPage> {
    return this.pageFor(await this.findByToken(token), this.deps.now(), chosen);
  }

  /**
   * "Join the video call", only in the window and once (RVR-07): the call is opened if the reminder has not gone yet,
   * a single-use call link is made and the appointment is joined, in one transaction. Returns the link's path.
   */
  async join(token: string, clientIp: string | undefined, correlationId: string, chosen?: Language): Promise<string> {
    const context: RequestContext = { ...systemContext('appointment-link', correlationId), clientIp };
    const found = await this.findByToken(token);
    const at = this.deps.now();
    const page = await this.pageFor(found, at, chosen);
    if (page.position !== 'open' || (found.status !== 'booked' && found.status !== 'reminded')) {
      await this.data.transaction((tx) =>
        this.deps.audit.record(tx.audit, context, {
          what: 'appointment.join_refused',
          subject: `consultation:${found.consultationId}`,
          details: { appointmentId: found.id, position: page.position, status: found.status },
        }),
      );
      const reason: JoinRefusal = found.status === 'joined' ? 'joined' : page.position === 'early' ? 'early' : 'passed';
      throw new AppointmentJoinRefusedError(refusalText(reason, page), page, reason);
    }
    return this.data.transaction(async (tx) => {
      const row = await tx.appointments.markJoined(found.id, at);
      if (!row) throw new AppointmentJoinRefusedError(refusalText('joined', page), page, 'joined');
      await this.prepareCall(tx, context, row);
      const call = await tx.calls.findOpenByConsultation(row.consultationId);
      if (!call) throw new AppointmentJoinRefusedError(refusalText('notOpen', page), page, 'notOpen');
      const path = await this.deps.links.issueAppointmentLink(tx, context, call.id, appointmentWindow(row.slot, this.deps.config).closesAt);
      await this.deps.audit.record(tx.audit, context, {
        what: 'appointment.joined',
        subject: `consultation:${row.consultationId}`,
        details: { appointmentId: row.id, callId: call.id },
      });
      const consultation = await tx.consultations.findById(row.consultationId);
      if (consultation) await this.notify(tx, consultation);
      return path;
    });
  }

  /**
   * The victim asks for another time from the page (no call back needed): one of the offered times or a time of day.
   * Counted and capped (maxChangeRequests), audited, and the officer's and the queue's pages are told live.
   */
  async requestChange(token: string, choice: string, clientIp: string | undefined, correlationId: string, chosen?: Language): Promise<AppointmentPage> {
    const context: RequestContext = { ...systemContext('appointment-link', correlationId), clientIp };
    const found = await this.findByToken(token);
    const at = this.deps.now();
    const decision = decideChangeRequest(
      { choice },
      { status: found.status as AppointmentStatus, changeRequests: found.changeRequests },
      offeredSlots(found.slot, at, this.deps.config),
      this.deps.config,
    );
    if (!decision.allowed) {
      if (decision.status === 400) throw new ValidationError(decision.message, { choice: decision.message });
      throw new AppError(decision.status, decision.message);
    }
    const request = decision.request;
    const updated = await this.data.transaction(async (tx) => {
      const row = await tx.appointments.recordChangeRequest(
        found.id,
        { requestedSlot: request.kind === 'slot' ? request.slot : null, requestedBestTime: request.kind === 'best_time' ? request.bestTime : null },
        this.deps.config.maxChangeRequests,
        at,
      );
      if (!row) throw new AppError(429, 'We already have your request. Someone will be in touch about a new time');
      await this.deps.audit.record(tx.audit, context, {
        what: 'appointment.change_requested',
        subject: `consultation:${row.consultationId}`,
        details: {
          appointmentId: row.id,
          ...(request.kind === 'slot' ? { requestedSlot: request.slot.toISOString() } : { bestTime: request.bestTime }),
          count: row.changeRequests,
        },
      });
      const consultation = await tx.consultations.findById(row.consultationId);
      if (consultation) await this.notify(tx, consultation);
      return row;
    });
    return this.pageFor(updated, at, chosen);
  }

  // ── Staff lists ────────────────────────────────────────────────────────────────────────────────

  /** Booked and reminded appointments with their officer, soonest first, with any time the victim asked for. */
  async upcoming() {
    return (await this.data.repos.appointments.listUpcoming()).map((a) => ({ ...a, ...this.describe(a) }));
  }

  /** Missed appointments waiting for a supervisor's follow-up. */
  async missedFollowUps() {
    return (await this.data.repos.appointments.listMissedFollowUps()).map((a) => ({ ...a, ...this.describe(a) }));
  }

  private describe(a: { slot: Date; reason: string; requestedSlot: Date | null; requestedBestTime: string | null }) {
    return {
      slotText: londonSlotText(a.slot),
      reasonText: APPOINTMENT_REASONS[a.reason as AppointmentReason] ?? a.reason,
      requestText: a.requestedSlot ? londonSlotText(a.requestedSlot) : a.requestedBestTime ? (BEST_TIMES[a.requestedBestTime as BestTime] ?? null) : null,
    };
  }

  /** The consultation's latest appointment as the consultation page shows it. */
  async forConsultation(consultationId: string) {
    const latest = await this.data.repos.appointments.findLatestByConsultation(consultationId);
    if (!latest) return undefined;
    return { ...latest, ...this.describe(latest) };
  }

  /** A supervisor records what was done about a missed appointment (audited with the note as its justification). */
  async completeFollowUp(context: RequestContext, appointmentId: string, noteInput: string | undefined): Promise<void> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in as a supervisor');
    const note = noteInput?.trim() ?? '';
    if (!note)
      throw new ValidationError('Say what was done to follow up the missed appointment', { note: 'Say what was done to follow up the missed appointment' });
    if (note.length > FOLLOW_UP_NOTE_MAX)
      throw new ValidationError(`The note must be ${FOLLOW_UP_NOTE_MAX} characters or fewer`, {
        note: `The note must be ${FOLLOW_UP_NOTE_MAX} characters or fewer`,
      });
    const userId = context.actor.userId;
    await this.data.transaction(async (tx) => {
      const row = await tx.appointments.completeFollowUp(appointmentId, userId, note, this.deps.now());
      if (!row) {
        if (!(await tx.appointments.findById(appointmentId))) throw new NotFoundError('No appointment with that id');
        throw new ConflictError('This appointment is not a missed appointment waiting for a follow-up.');
      }
      await this.deps.audit.record(tx.audit, context, {
        what: 'appointment.follow_up_done',
        subject: `consultation:${row.consultationId}`,
        justification: note,
        details: { appointmentId: row.id },
      });
    });
  }

  /** The consultation-released handler: an ending or a hand-back cancels its open appointment (no reminder after). */
  async cancelOnRelease(tx: Repositories, context: RequestContext, consultation: ConsultationRow): Promise<void> {
    const cancelled = await tx.appointments.cancelOpen(consultation.id, this.deps.now());
    if (cancelled.length === 0) return;
    await this.deps.audit.record(tx.audit, context, {
      what: 'appointment.cancelled',
      subject: `consultation:${consultation.id}`,
      details: { appointmentIds: cancelled, state: consultation.state },
    });
  }
}

const REFUSAL_KEYS: Record<JoinRefusal, string> = {
  joined: 'appointment.refusedJoined',
  early: 'appointment.refusedEarly',
  passed: 'appointment.refusedPassed',
  notOpen: 'appointment.refusedNotOpen',
};

/** The refusal in the page's language (issue 17 §2). */
function refusalText(reason: JoinRefusal, page: AppointmentPage): string {
  return translator(page.language)(REFUSAL_KEYS[reason], { time: page.opensAtText });
}
