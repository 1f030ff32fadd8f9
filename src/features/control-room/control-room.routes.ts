import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { APPOINTMENT_REASONS, defaultBookingSlot } from '../../domain/appointments.js';
import { AGE_BANDS, EXCLUSION_FLAGS, RELATIONSHIPS, VICTIM_SEXES } from '../../domain/eligibility.js';
import { AppError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';
import { CHECKLIST_LABELS, AGE_BAND_LABELS, RELATIONSHIP_LABELS, VICTIM_SEX_LABELS } from './labels.js';
import type { IntakeInput } from './triage.service.js';

const list = {
  anyOf: [
    { type: 'string', maxLength: 100 },
    { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 100 } },
  ],
} as const;
const intakeBody = {
  type: 'object',
  properties: {
    cadReference: { type: 'string', maxLength: 100 },
    receivedAt: { type: 'string', maxLength: 40 },
    grade: { type: 'string', maxLength: 2 },
    callerName: { type: 'string', maxLength: 300 },
    mobile: { type: 'string', maxLength: 40 },
    relationship: { type: 'string', maxLength: 50 },
    ageBand: { type: 'string', maxLength: 20 },
    suspectAgeBand: { type: 'string', maxLength: 20 },
    victimSex: { type: 'string', maxLength: 30 },
    location: { type: 'string', maxLength: 600 },
    spokenLanguage: { type: 'string', maxLength: 60 },
    language: { type: 'string', maxLength: 5 },
    needs: list,
    summary: { type: 'string', maxLength: 2100 },
    flags: list,
    consents: list,
    prefersPhone: { type: 'string', maxLength: 5 },
    triageStartedAt: { type: 'string', maxLength: 40 },
    purposeCode: { type: 'string', maxLength: 40 },
    // Issue 17 §4: "now" (the RVR queue) or "later" (a video appointment booked here); the booking's fields.
    whenToTalk: { type: 'string', maxLength: 10 },
    appointmentDate: { type: 'string', maxLength: 20 },
    appointmentTime: { type: 'string', maxLength: 10 },
    appointmentReason: { type: 'string', maxLength: 40 },
    _csrf: { type: 'string' },
  },
} as const;
type IntakeForm = Partial<Record<keyof (typeof intakeBody)['properties'], string | string[]>>;

const asList = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? '';

/** datetime-local fields carry no zone: the control room works in UK time, so read them as Europe/London. */
export function londonLocalToIso(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return value;
  const asUtc = new Date(`${value}Z`);
  const offsetMinutes = (() => {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', timeZoneName: 'shortOffset' }).formatToParts(asUtc);
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /GMT([+-]\d+)?/.exec(name);
    return match?.[1] ? Number(match[1]) * 60 : 0;
  })();
  return new Date(asUtc.getTime() - offsetMinutes * 60_000).toISOString();
}

/** The reverse, for the form's default (issue 17 §6: "Time the call was received" starts at now, UK time, editable). */
export function isoToLondonLocal(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}`;
}

function formToIntake(form: IntakeForm): IntakeInput {
  const needs = asList(form.needs);
  const consents = asList(form.consents);
  return {
    cadReference: one(form.cadReference),
    receivedAt: londonLocalToIso(one(form.receivedAt)),
    grade: one(form.grade),
    callerName: one(form.callerName),
    mobile: one(form.mobile),
    relationship: one(form.relationship),
    ageBand: one(form.ageBand),
    // The form always asks: not choosing is an error, not 'unknown' (DA-01).
    suspectAgeBand: one(form.suspectAgeBand),
    victimSex: one(form.victimSex),
    location: one(form.location),
    spokenLanguage: one(form.spokenLanguage),
    language: one(form.language) || undefined,
    bslNeeded: needs.includes('bsl'),
    hearingNeed: needs.includes('hearing'),
    summary: one(form.summary),
    flags: asList(form.flags),
    consentToVideo: consents.includes('video'),
    consentToRecording: consents.includes('recording'),
    prefersPhone: one(form.prefersPhone) === 'yes',
    triageStartedAt: one(form.triageStartedAt) || undefined,
    purposeCode: one(form.purposeCode) || undefined,
  };
}

/** Policy 2.1/2.3: the call handler takes the call, completes the checklist, and hands it to the RVR queue. */
export function controlRoomRoutes(services: Services): FastifyPluginAsync {
  const formView = async (values: IntakeForm, errors?: Record<string, string>) => {
    const { settings } = await services.triage.currentSettings();
    return {
      pageTitle: 'New call',
      values: { ...values, needs: asList(values.needs), flags: asList(values.flags), consents: asList(values.consents) },
      errors,
      errorList: errors ? Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` })) : undefined,
      settings,
      evaluationTrialRunning: await services.evaluation.isTrialRunning(),
      relationships: RELATIONSHIPS.map((value) => ({ value, text: RELATIONSHIP_LABELS[value] })),
      ageBands: AGE_BANDS.map((value) => ({ value, text: AGE_BAND_LABELS[value] })),
      suspectAgeBands: AGE_BANDS.map((value) => ({ value, text: `Suspect: ${AGE_BAND_LABELS[value]}` })),
      victimSexes: VICTIM_SEXES.map((value) => ({ value, text: VICTIM_SEX_LABELS[value] })),
      flags: EXCLUSION_FLAGS.map((value) => ({ value, text: CHECKLIST_LABELS[value] })),
      // SC-1: the purposes this force records sessions for (a choice only when there is more than one).
      purposes: services.governance.settings.purposes.map((p) => ({ value: p.code, text: p.label })),
      appointmentReasons: Object.entries(APPOINTMENT_REASONS).map(([value, text]) => ({ value, text })),
    };
  };

  return async (app) => {
    app.get('/control-room', { config: { access: { permission: 'area.control_room' } } }, async (request, reply) => {
      const [mine, consultations, officers] = await Promise.all([
        services.consultations.listOpenTriagedBy(request.user!.id),
        services.consultations.listSummaries('all'),
        services.availability.officerCounts(),
      ]);
      return reply.view('control-room/control-room.njk', { pageTitle: 'Control room', mine, consultations, officers });
    });

    app.get('/control-room/calls/new', { config: { access: { permission: 'triage.create' } } }, async (_request, reply) => {
      const now = new Date();
      const slot = defaultBookingSlot(now);
      return reply.view(
        'control-room/new-call.njk',
        await formView({
          triageStartedAt: now.toISOString(),
          receivedAt: isoToLondonLocal(now),
          whenToTalk: 'now',
          appointmentDate: slot.date,
          appointmentTime: slot.time,
          appointmentReason: 'cannot_talk_now',
        }),
      );
    });

    app.post<{ Body: IntakeForm }>(
      '/control-room/calls',
      { config: { access: { permission: 'triage.create' } }, schema: { body: intakeBody } },
      async (request, reply) => {
        try {
          if (one(request.body.whenToTalk) !== 'later') {
            const { consultation } = await services.triage.intake(contextOf(request), formToIntake(request.body), 'form');
            return reply.redirect(`/consultations/${consultation.id}`, 303);
          }
          // Issue 17 §4: the caller cannot talk now; the call handler books the video appointment here.
          const booking = { date: one(request.body.appointmentDate), time: one(request.body.appointmentTime), reason: one(request.body.appointmentReason) };
          const booked = await services.appointments.intakeWithAppointment(contextOf(request), formToIntake(request.body), booking, 'form');
          const outcome = !booked.appointment ? '?appointment=not-booked' : booked.textFailed ? '?appointmentText=failed' : '';
          return reply.redirect(`/consultations/${booked.consultation.id}${outcome}`, 303);
        } catch (error) {
          if (!(error instanceof AppError) || error.statusCode >= 500 || error.statusCode === 403) throw error;
          const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { cadReference: error.message };
          return reply.code(error.statusCode).view('control-room/new-call.njk', await formView(request.body, errors));
        }
      },
    );
  };
}
