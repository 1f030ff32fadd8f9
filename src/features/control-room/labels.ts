import type { AgeBand, ExclusionFlag, Relationship, VictimSex } from '../../domain/eligibility.js';

/** The checklist as the call handler reads it to themselves on the call. */
export const CHECKLIST_LABELS: Record<ExclusionFlag, string> = {
  offender_present: 'The suspect is present',
  offender_expected_soon: 'The suspect is expected back soon',
  victim_not_safe: 'The victim is not safe',
  cannot_talk_freely: 'The victim cannot talk freely',
  injury_needs_medical_help: 'Someone has an injury that needs medical help',
  child_at_immediate_risk: 'A child is at immediate risk',
  intoxicated_or_lacks_capacity: 'The victim is intoxicated or may lack capacity',
  no_smartphone_or_signal: 'No smartphone, or no signal or data',
  victim_unwilling: 'The victim does not want a video response',
};

export const RELATIONSHIP_LABELS: Record<Relationship, string> = {
  partner: 'Partner',
  ex_partner: 'Ex-partner',
  married_or_civil_partners: 'Married or civil partners',
  engaged: 'Engaged (or were)',
  relative: 'Relative',
  parental_relationship: 'Both parents of, or share responsibility for, a child',
  not_personally_connected: 'Not personally connected',
};

export const AGE_BAND_LABELS: Record<AgeBand, string> = {
  under_16: 'Under 16',
  '16_17': '16 or 17',
  '18_plus': '18 or over',
  unknown: 'Not known',
};

/** Policy 2.2: asked at triage, optional. */
export const VICTIM_SEX_LABELS: Record<VictimSex, string> = {
  female: 'Female',
  male: 'Male',
  prefer_not_to_say: 'Prefer not to say',
};
