import { AGE_BANDS, EXCLUSION_FLAGS, RELATIONSHIPS, VICTIM_SEXES } from '../../domain/eligibility.js';
import { API_SCOPES } from './api-key.service.js';
import { OUTCOME_KINDS, REFERRAL_TYPES } from '../../domain/outcomes.js';

// One source for validation and documentation: the routes validate with these, and /api/docs publishes them.

export const incidentRequest = {
  type: 'object',
  additionalProperties: false,
  required: ['cadReference', 'receivedAt', 'grade', 'callerName', 'mobile', 'relationship', 'ageBand', 'consentToVideo', 'consentToRecording'],
  properties: {
    cadReference: { type: 'string', minLength: 1, maxLength: 50, description: 'CAD incident reference; one RVR consultation per reference' },
    receivedAt: { type: 'string', format: 'date-time', description: 'When the call was received (ISO 8601 with offset)' },
    grade: { type: 'integer', enum: [1, 2, 3, 4], description: '1 emergency (never RVR), 2 priority, 3 scheduled, 4 other' },
    callerName: { type: 'string', minLength: 1, maxLength: 200 },
    mobile: { type: 'string', minLength: 1, maxLength: 40, description: 'UK mobile number; normalised to E.164' },
    relationship: { type: 'string', enum: [...RELATIONSHIPS], description: 'Relationship to the suspect (Domestic Abuse Act 2021 s.2)' },
    ageBand: { type: 'string', enum: [...AGE_BANDS] },
    suspectAgeBand: {
      type: 'string',
      enum: [...AGE_BANDS],
      description: 'The suspect’s age band (DA-01: both must be 16 or over). Missing is taken as "unknown", which needs a supervisor decision',
    },
    victimSex: { type: 'string', enum: [...VICTIM_SEXES], description: 'Optional (policy 2.2, for the evaluation); never affects eligibility' },
    location: { type: 'string', maxLength: 500 },
    spokenLanguage: { type: 'string', maxLength: 50, description: 'Spoken language if not English (marks interpreter required; not an exclusion)' },
    language: {
      type: 'string',
      enum: ['en', 'cy'],
      description: 'The caller’s language for the texts and the video call page (Welsh Language Standards): en (default) or cy',
    },
    bslNeeded: { type: 'boolean' },
    hearingNeed: { type: 'boolean' },
    summary: { type: 'string', maxLength: 2000 },
    flags: {
      type: 'array',
      maxItems: 20,
      uniqueItems: true,
      items: { type: 'string', enum: [...EXCLUSION_FLAGS] },
    },
    consentToVideo: { type: 'boolean', description: 'The caller agreed to a video call (RVR-04)' },
    consentToRecording: { type: 'boolean', description: 'The caller agreed to the call being recorded (RVR-04)' },
    prefersPhone: { type: 'boolean' },
  },
} as const;

export const triageResponse = {
  type: 'object',
  required: ['consultationId', 'reference', 'state', 'decision', 'reasons', 'interpreterRequired', 'allocation'],
  properties: {
    consultationId: { type: 'string', format: 'uuid' },
    reference: { type: 'string' },
    state: { type: 'string' },
    decision: { type: 'string', enum: ['eligible', 'ineligible'] },
    reasons: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, text: { type: 'string' }, hard: { type: 'boolean' } } } },
    interpreterRequired: { type: 'boolean' },
    allocation: {
      description:
        'The evaluation trial (policy 2.2): null when no trial is running or the call is not eligible with both consents. arm "standard" means dispatch attendance as usual (the consultation is already escalated_to_attendance); notRandomisedReason is set when the trial could not randomise the call (no RVR officer available).',
      type: ['object', 'null'],
      required: ['trialId', 'arm', 'notRandomisedReason'],
      additionalProperties: false,
      properties: {
        trialId: { type: 'string', format: 'uuid' },
        arm: { type: ['string', 'null'], enum: ['rvr', 'standard', null] },
        notRandomisedReason: { type: ['string', 'null'], enum: ['no_officer_available', null] },
      },
    },
  },
} as const;

export const consultationResponse = {
  type: 'object',
  required: ['id', 'reference', 'cadReference', 'state', 'timestamps', 'outcomes'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    reference: { type: 'string' },
    cadReference: { type: 'string' },
    state: { type: 'string' },
    outcome: { type: ['string', 'null'], description: 'completed, abandoned or escalated_to_attendance once ended' },
    outcomes: {
      type: 'array',
      description:
        'What the officer recorded, oldest first (issue 7): kind and time, with the crime reference of a recorded crime and the type of a referral. Suspect details and locations are not returned.',
      items: {
        type: 'object',
        required: ['kind', 'recordedAt', 'crimeReference', 'referralType'],
        properties: {
          kind: { type: 'string', enum: [...OUTCOME_KINDS] },
          recordedAt: { type: 'string', format: 'date-time' },
          crimeReference: { type: ['string', 'null'] },
          referralType: { type: ['string', 'null'], enum: [...REFERRAL_TYPES, null] },
        },
      },
    },
    victimLocation: {
      type: ['object', 'null'],
      description:
        'Where the victim is, if they chose to share it from their call page (issue 17 §1): the latest position (WGS84), its accuracy (metres, 95 %), when RVR received it, when the phone measured it and when the victim chose to share. Null if they did not. Each read that returns it is logged as a disclosure to the calling CAD system.',
      required: ['latitude', 'longitude', 'accuracyMetres', 'receivedAt', 'measuredAt', 'sharedAt'],
      properties: {
        latitude: { type: 'number', minimum: -90, maximum: 90 },
        longitude: { type: 'number', minimum: -180, maximum: 180 },
        accuracyMetres: { type: 'number', exclusiveMinimum: 0 },
        receivedAt: { type: 'string', format: 'date-time' },
        measuredAt: { type: ['string', 'null'], format: 'date-time' },
        sharedAt: { type: ['string', 'null'], format: 'date-time' },
      },
    },
    officer: { type: ['string', 'null'] },
    timestamps: {
      type: 'object',
      properties: Object.fromEntries(
        ['received', 'triaged', 'queued', 'accepted', 'invited', 'victimJoined', 'connected', 'ended'].map((k) => [
          k,
          { type: ['string', 'null'], format: 'date-time' },
        ]),
      ),
    },
  },
} as const;

export const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, fields: { type: 'object' }, correlationId: { type: 'string' } },
} as const;

export const consultationParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

export { API_SCOPES };
