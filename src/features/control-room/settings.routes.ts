import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { CONFIGURABLE_EXCLUSION_FLAGS, HARD_EXCLUSION_FLAGS, type ExclusionFlag } from '../../domain/eligibility.js';
import { ValidationError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';
import { CHECKLIST_LABELS } from './labels.js';
import type { TriageSettings } from './triage.service.js';

const settingsBody = {
  type: 'object',
  properties: {
    excludingFlags: {
      anyOf: [
        { type: 'string', maxLength: 60 },
        { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 60 } },
      ],
    },
    roundTheClock: { type: 'string', maxLength: 5 },
    start: { type: 'string', maxLength: 5 },
    end: { type: 'string', maxLength: 5 },
    videoConsentWording: { type: 'string', maxLength: 1000 },
    recordingConsentWording: { type: 'string', maxLength: 1000 },
    queueAlertSeconds: { type: 'string', maxLength: 5 },
    _csrf: { type: 'string' },
  },
} as const;
type SettingsForm = {
  excludingFlags?: string | string[];
  roundTheClock?: string;
  start?: string;
  end?: string;
  videoConsentWording?: string;
  recordingConsentWording?: string;
  queueAlertSeconds?: string;
};

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

function parseSettings(form: SettingsForm, current: TriageSettings): TriageSettings {
  const errors: Record<string, string> = {};
  // RVR-02: the conditions of eligibility are not settings; a posted one is dropped (they always exclude anyway).
  const flags = (form.excludingFlags === undefined ? [] : [form.excludingFlags].flat()).filter((f): f is ExclusionFlag =>
    (CONFIGURABLE_EXCLUSION_FLAGS as readonly string[]).includes(f),
  );
  const roundTheClock = form.roundTheClock === 'yes';
  if (!roundTheClock && !HHMM.test(form.start ?? '')) errors.start = 'Enter the opening time as HH:MM, e.g. 08:00';
  if (!roundTheClock && !HHMM.test(form.end ?? '')) errors.end = 'Enter the closing time as HH:MM, e.g. 22:00';
  const video = (form.videoConsentWording ?? '').trim();
  const recording = (form.recordingConsentWording ?? '').trim();
  if (video.length < 20) errors.videoConsentWording = 'Enter the words read to the caller to ask for consent to a video call';
  if (recording.length < 20) errors.recordingConsentWording = 'Enter the words read to the caller to ask for consent to recording';
  const alertSeconds = Number(form.queueAlertSeconds);
  if (!Number.isInteger(alertSeconds) || alertSeconds < 30 || alertSeconds > 3600) errors.queueAlertSeconds = 'Enter a whole number of seconds from 30 to 3600';
  if (Object.keys(errors).length > 0) throw new ValidationError('Check the settings', errors);
  return {
    eligibility: {
      version: current.eligibility.version,
      excludingFlags: flags,
      operatingHours: roundTheClock ? null : { start: form.start!, end: form.end!, timeZone: current.eligibility.operatingHours?.timeZone ?? 'Europe/London' },
    },
    videoConsentWording: video,
    recordingConsentWording: recording,
    queueAlertSeconds: alertSeconds,
  };
}

/** Force configuration of triage (RVR-05): which flags exclude, operating hours, consent wording. Each save is a new, audited version. */
export function triageSettingsRoutes(services: Services): FastifyPluginAsync {
  const view = (version: number, settings: TriageSettings, extra: Record<string, unknown> = {}) => ({
    pageTitle: 'RVR triage settings',
    version,
    settings,
    flagItems: CONFIGURABLE_EXCLUSION_FLAGS.map((value) => ({ value, text: CHECKLIST_LABELS[value] })),
    hardFlagItems: HARD_EXCLUSION_FLAGS.map((value) => ({ value, text: CHECKLIST_LABELS[value] })),
    ...extra,
  });
  return async (app) => {
    app.get('/settings/triage', { config: { access: { permission: 'triage.settings' } } }, async (_request, reply) => {
      const { version, settings } = await services.triage.currentSettings();
      return reply.view('control-room/settings.njk', view(version, settings));
    });

    app.post<{ Body: SettingsForm }>(
      '/settings/triage',
      { config: { access: { permission: 'triage.settings' } }, schema: { body: settingsBody } },
      async (request, reply) => {
        const { version, settings } = await services.triage.currentSettings();
        try {
          await services.triage.saveSettings(contextOf(request), parseSettings(request.body, settings));
          return reply.redirect('/settings/triage?saved=1', 303);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const errorList = Object.entries(error.fieldErrors).map(([field, text]) => ({ text, href: `#${field}` }));
          return reply.code(400).view('control-room/settings.njk', view(version, settings, { errors: error.fieldErrors, errorList }));
        }
      },
    );
  };
}
