/**
 * The written inventory of personal data (issue 16 §2; RET-02, DP-05, DP-10): every column of every table, what it
 * holds, and what disposal or a DPO-ordered erasure does to it for one consultation. The erasure is driven by this
 * list (consultation-erasure.service.ts) and a test fails when any column of any `*.schema.ts` table is missing here,
 * so a new column cannot be forgotten. docs/personal-data-inventory.md is rendered from it and checked by that test.
 *
 * Treatments:
 * - `delete`: the table's rows for the consultation are deleted (the whole row is personal: chat).
 * - `null` / `blank` / `empty`: the value is removed (NULL; '[erased]' where the column may not be NULL; an empty
 *   JSON object or array).
 * - `anonymise`: the value is reduced irreversibly to what statistics and audit need (a JSON key dropped, only
 *   outcome codes kept, a free-text label replaced by the item's kind).
 * - `keep`: kept, with the lawful reason: ids, dates, hashes, outcome codes and statistics codes (DP-05 leaves what the
 *   audit and statistics lawfully need), the s.62 log, staff records (not the victim's data), configuration.
 */

export type KeepReason =
  /** A row id or a foreign key: links the audit trail to the record; not about a person on its own. */
  | 'identifier'
  /** A date or time: when something happened, for the audit trail and the outcome measures. */
  | 'date'
  /** A SHA-256 of content or of a secret: proves what was held (the certificate) without holding it. */
  | 'hash'
  /** A state, kind, grade or outcome code from a fixed list: the statistics and the audit need it. */
  | 'code'
  /** A count, band or category the outcome measures and the evaluation need (policy 2.2), not identifying alone. */
  | 'statistics'
  /** The s.62 consultation log or the custody trail (DP-01, EVD-04): who looked and why; kept as audit. */
  | 'audit'
  /** Technical detail of storage or media (keys made of ids, codecs, sizes, nodes): no personal content. */
  | 'technical'
  /** About staff in their work (accounts, sessions, reviews): staff records, outside a victim's erasure. */
  | 'staff'
  /** Force configuration or fixed wording (policy, consent text, settings): the same for every caller. */
  | 'configuration';

export type ColumnTreatment =
  | { do: 'null' | 'blank' | 'empty-object' | 'empty-array'; holds: string }
  | { do: 'anonymise'; holds: string; how: Anonymisation }
  | { do: 'keep'; why: KeepReason; note?: string };

/** Irreversible reductions, written out in SQL by erasure.queries.ts. */
export type Anonymisation =
  /** Drop these keys from a JSON object (the rest are codes). */
  | { dropKeys: string[] }
  /** Keep only these keys of a JSON object (codes and references), drop everything else. */
  | { keepKeys: string[] }
  /** In a JSON object of objects, drop these keys from each inner object (a note beside each score). */
  | { dropKeysInEach: string[] }
  /** Replace the value by another column of the same row (a free-text label by the item's kind). */
  | { copyColumn: string };

/** How a table's rows belong to one consultation, or why they do not. */
export type TableScope =
  { via: 'self' } | { via: 'consultation'; column: string } | { via: 'call'; column: string } | { via: 'incident' } | { via: 'none'; why: string };

export interface TableInventory {
  table: string;
  scope: TableScope;
  /** `delete`: the rows themselves go (every column with them); `update`: column by column as classified. */
  rows: 'delete' | 'update' | 'keep';
  columns: Record<string, ColumnTreatment>;
}

const keep = (why: KeepReason, note?: string): ColumnTreatment => (note ? { do: 'keep', why, note } : { do: 'keep', why });
const id = keep('identifier');
const at = keep('date');
const code = keep('code');
const staff = keep('staff');
const tech = keep('technical');
const nulled = (holds: string): ColumnTreatment => ({ do: 'null', holds });
const blank = (holds: string): ColumnTreatment => ({ do: 'blank', holds });
/** A column of a table whose rows are deleted: it goes with its row. */
const withRow = nulled('deleted with the row');

/** Tables with no victim's data: every column kept, with the table's reason (checked column by column all the same). */
const outOfScope = (table: string, why: string, columns: Record<string, ColumnTreatment>): TableInventory => ({
  table,
  scope: { via: 'none', why },
  rows: 'keep',
  columns,
});

export const PERSONAL_DATA_INVENTORY: TableInventory[] = [
  // ── The incident and consultation ─────────────────────────────────────────────────────────────
  {
    table: 'incidents',
    scope: { via: 'incident' },
    rows: 'update',
    columns: {
      id,
      cad_reference: keep('identifier', 'the CAD incident number: links the audit trail to the force’s own record, kept under its own schedule'),
      received_at: at,
      grade: code,
      caller_name: blank('the caller’s name'),
      caller_phone: blank('the caller’s mobile number'),
      relationship: keep('statistics', 'a relationship code from a fixed list (DA-01); the outcome measures break down by it'),
      location: nulled('where the caller is'),
      needs: nulled('the caller’s needs in their words'),
      age_band: keep('statistics', 'an age band code; the outcome measures break down by it'),
      spoken_language: nulled('the caller’s language'),
      bsl_needed: keep('statistics', 'yes/no: interpreter demand'),
      hearing_need: keep('statistics', 'yes/no: accessibility demand'),
      summary: nulled('the call handler’s summary of what happened'),
      source: code,
      created_by: staff,
      created_at: at,
    },
  },
  {
    table: 'consultations',
    scope: { via: 'self' },
    rows: 'keep',
    columns: {
      id,
      reference: keep('identifier', 'the RVR reference, generated (not about the caller)'),
      incident_id: id,
      state: code,
      officer_id: staff,
      interpreter_required: keep('statistics'),
      purpose_code: keep('code', 'SC-1: the purpose the session was for, from PURPOSE_CODES'),
      language: keep('statistics', 'a language code (en or cy) chosen at triage; Welsh-language service use is reported (issue 17 §2)'),
      version: tech,
      triaged_at: at,
      queued_at: at,
      accepted_at: at,
      invited_at: at,
      victim_joined_at: at,
      connected_at: at,
      ended_at: at,
      created_at: at,
    },
  },
  {
    table: 'consultation_events',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      from_state: code,
      to_state: code,
      actor_id: staff,
      actor_role: code,
      reason: nulled('a reason typed for a transition (may describe the caller)'),
      at,
    },
  },
  {
    table: 'triages',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      answers: {
        do: 'anonymise',
        holds: 'the eligibility answers; the language typed is free text (the age bands and the victim’s sex stay as statistics, policy 2.2)',
        how: { dropKeys: ['languageNeed'] },
      },
      rule_set_version: code,
      decision: code,
      reasons: keep('code', 'reason codes and the rule text they cite'),
      overridable: code,
      video_consent_wording: keep('configuration', 'the force’s fixed wording read out (RVR-04): proof of what was consented to'),
      video_consent_at: at,
      recording_consent_wording: keep('configuration', 'the force’s fixed wording read out (RVR-04)'),
      recording_consent_at: at,
      started_at: at,
      decided_at: at,
      decided_by: staff,
      overridden_by: staff,
      override_rationale: nulled('the supervisor’s reason for an override (may describe the caller)'),
      overridden_at: at,
    },
  },
  outOfScope('eligibility_settings', 'force configuration', { version: code, settings: keep('configuration'), created_by: staff, created_at: at }),
  // ── The video call ─────────────────────────────────────────────────────────────────────────────
  {
    table: 'calls',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      state: code,
      opened_at: at,
      connected_at: at,
      ended_at: at,
      ended_by: code,
      end_reason: code,
      officer_notes: nulled('the officer’s notes of the call'),
      notes_updated_at: at,
      media_node_id: tech,
    },
  },
  {
    table: 'call_invites',
    scope: { via: 'call', column: 'call_id' },
    rows: 'update',
    columns: {
      id,
      call_id: id,
      role: code,
      label: nulled('the interpreter’s language (the caller’s need)'),
      token_hash: keep('hash'),
      expires_at: at,
      created_by: staff,
      created_at: at,
      sent_at: at,
      language: keep('code', 'the language code (en or cy) the text was sent in'),
      provider: code,
      provider_message_id: nulled('the SMS provider’s message id: the provider can link it to the phone number'),
      send_error: nulled('the provider’s error text (may quote the number)'),
      opened_at: at,
      consent_at: at,
      joined_at: at,
      revoked_at: at,
      revoked_reason: nulled('a reason typed for revoking a link'),
    },
  },
  {
    table: 'call_participants',
    scope: { via: 'call', column: 'call_id' },
    rows: 'update',
    columns: {
      id,
      call_id: id,
      role: code,
      user_id: staff,
      invite_id: id,
      session_hash: keep('hash'),
      session_expires_at: at,
      created_at: at,
      joined_at: at,
      last_seen_at: at,
      left_at: at,
      left_reason: code,
    },
  },
  {
    table: 'call_consents',
    scope: { via: 'call', column: 'call_id' },
    rows: 'keep',
    columns: {
      id,
      call_id: id,
      participant_id: id,
      video_consent: keep('audit', 'the consent given (RVR-04, RVR-12): the lawful basis of what was recorded'),
      recording_consent: keep('audit', 'the consent given (RVR-12)'),
      wording: keep('configuration', 'the fixed wording shown'),
      language: keep('audit', 'the language code (en or cy) the consent was shown and given in: part of the consent (RVR-04)'),
      given_at: at,
    },
  },
  {
    table: 'call_events',
    scope: { via: 'call', column: 'call_id' },
    rows: 'keep',
    columns: {
      id,
      call_id: id,
      type: code,
      participant_id: id,
      role: code,
      details: keep('technical', 'connection details (reconnects, quick exit): codes and ids'),
      at,
    },
  },
  {
    table: 'recordings',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      id,
      call_id: id,
      consultation_id: id,
      participant_id: id,
      role: code,
      segment: tech,
      file_key: keep('technical', 'a storage key made of ids; the file itself is deleted through the evidence store'),
      tracks: tech,
      status: code,
      started_at: at,
      first_packet_at: at,
      media_started_at: at,
      media_clock: tech,
      ended_at: at,
      duration_ms: keep('statistics'),
      sha256: keep('hash'),
      size_bytes: tech,
      media_node_id: tech,
    },
  },
  {
    table: 'snapshots',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      id,
      call_id: id,
      consultation_id: id,
      file_key: keep('technical', 'a storage key made of ids; the image is deleted through the evidence store'),
      media_type: tech,
      sha256: keep('hash'),
      size_bytes: tech,
      taken_by: staff,
      taken_at: at,
    },
  },
  {
    table: 'chat_messages',
    scope: { via: 'call', column: 'call_id' },
    rows: 'delete',
    columns: {
      id: withRow,
      call_id: withRow,
      participant_id: withRow,
      role: withRow,
      text: blank('what was typed in the call’s chat'),
      at: withRow,
    },
  },
  {
    // Issue 15 §3 (RVR-13): who else was in view or hearing during the call (a child, another adult), and when.
    // Their only use is the redaction of the call's evidence, which goes with it.
    table: 'collateral_marks',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'delete',
    columns: {
      id: withRow,
      call_id: withRow,
      consultation_id: withRow,
      kind: nulled('that a child or another adult was present (deleted with the row)'),
      started_at: withRow,
      started_by: withRow,
      ended_at: withRow,
      ended_by: withRow,
    },
  },
  // ── Evidence ───────────────────────────────────────────────────────────────────────────────────
  {
    table: 'evidence_items',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      call_id: id,
      kind: code,
      source_id: id,
      label: { do: 'anonymise', holds: 'a label, typed for an upload', how: { copyColumn: 'kind' } },
      file_key: keep('technical', 'a storage key made of ids; the file is deleted through the evidence store (its hash is on the certificate)'),
      media_type: tech,
      sha256: keep('hash', 'what was held and deleted, for the certificate'),
      size_bytes: tech,
      captured_at: at,
      captured_by: staff,
      owner_id: staff,
      classification: code,
      purpose_code: keep('code', 'SC-1: the purpose of the session it was captured in'),
      derived_from: keep('identifier', 'the ids of the items a copy was made from'),
      state: code,
      restricted_at: at,
      restriction_reason: nulled('the reason for a restriction (may describe the caller)'),
      retention_basis: keep('audit', 'the retention rule applied (RET-02): why it was kept until then'),
      review_due_at: at,
      disposal_eligible_at: at,
      integrity: code,
      integrity_checked_at: at,
      disposed_at: at,
      disposal_id: id,
    },
  },
  {
    table: 'evidence_retention',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      consultation_id: id,
      evidential: code,
      mopi_group: code,
      case_status: keep('code', 'a case-status code and its dates (RET-17)'),
      complaint_or_claim: code,
      clear_period_start: at,
      last_review_retain_until: at,
      nrac_dispose_decided_at: at,
      schedule_version: code,
      updated_at: at,
      updated_by: staff,
      // Issue 16 §4: the retention inputs (RET-08 group 1, RET-06, RET-12).
      subject_date_of_birth: nulled('the subject’s date of birth (RET-08 group 1)'),
      child_under_10: keep('code', 'whether the subject was a child under 10 (RET-06): a flag, not identifying alone'),
      review_requested_at: at,
    },
  },
  {
    table: 'legal_holds',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      type: code,
      rationale: blank('the reason for the hold (may describe the caller); the s.62 log keeps its own copy'),
      placed_by: staff,
      placed_at: at,
      released_by: staff,
      released_at: at,
      release_rationale: nulled('the reason for the release (may describe the caller)'),
    },
  },
  {
    // Issue 15 §2: a redacted copy's request. The copy itself is an evidence item (above); the list of what was
    // hidden, with a reason typed for each box or range, may describe the people hidden.
    table: 'evidence_redactions',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      source_item_id: id,
      spec: { do: 'empty-object', holds: 'the redaction list: boxes and ranges, and the reason typed for each (may describe people in view)' },
      state: code,
      progress: keep('technical'),
      error: tech,
      attempts: tech,
      result_item_id: id,
      requested_by: staff,
      requested_at: at,
      decided_by: staff,
      decided_at: at,
      decision_reason: nulled('the approver’s reason (may describe what the copy shows)'),
      updated_at: at,
    },
  },
  {
    table: 'retention_reviews',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      reviewer_id: staff,
      answers: keep('code', 'the six NRAC yes/no answers (RET-03, RET-13)'),
      decision: code,
      rationale: blank('the reviewer’s rationale (may describe the caller)'),
      next_review_at: at,
      decided_at: at,
    },
  },
  outOfScope('evidence_disposals', 'a disposal run’s certificate: ids, kinds, hashes and the columns erased (DP-03)', {
    id,
    dry_run: code,
    ran_at: at,
    ran_by: staff,
    items: keep('audit', 'ids, kinds and hashes of what was deleted'),
    certificate: keep('audit', 'the certificate as issued: ids, hashes, tables and columns, never content'),
    certificate_sha256: keep('hash'),
  }),
  {
    table: 'evidence_tasks',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      kind: code,
      consultation_id: id,
      state: code,
      progress: tech,
      item_ids: id,
      result_item_id: id,
      sink: code,
      manifest_sha256: keep('hash'),
      receipt: keep('audit', 'the force evidence system’s receipt ids: where the material now is (EVD-08)'),
      error: nulled('an error text from a copy or export'),
      attempts: tech,
      requested_by: staff,
      requested_at: at,
      updated_at: at,
      purge_after: at,
      purged_at: at,
    },
  },
  // ── Investigation ──────────────────────────────────────────────────────────────────────────────
  {
    table: 'risk_assessments',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      form_version: code,
      version: code,
      supersedes_id: id,
      amendment_reason: nulled('why an assessment was amended'),
      state: code,
      answers: { do: 'empty-object', holds: 'the DASH answers and the comments beside them' },
      prior_incidents_12_months: keep('statistics', 'a count the MARAC rule used (DASH-03)'),
      last_marac_referral_at: at,
      victim_age_band: keep('statistics'),
      grade: code,
      judgement_referral: code,
      judgement_reason: nulled('the officer’s professional judgement in words'),
      yes_count: keep('statistics', 'the actuarial count: the grade is re-derivable from it'),
      actuarial_grade: code,
      marac_referral: code,
      marac_reasons: keep('code', 'MARAC reason codes'),
      high_risk_flags: keep('code', 'which high-risk questions were answered yes (codes, not answers’ comments)'),
      routing: code,
      scoring_settings: keep('configuration'),
      revision: tech,
      created_by: staff,
      created_at: at,
      updated_at: at,
      completed_at: at,
      completed_by: staff,
      signed_off_at: at,
      signed_off_by: staff,
      sign_off_note: nulled('the supervisor’s note at sign-off'),
      evidence_item_id: id,
    },
  },
  {
    table: 'enquiry_lines',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      consultation_id: id,
      line: code,
      status: code,
      reason: nulled('why a line was not possible'),
      evidence_item_ids: id,
      updated_by: staff,
      updated_at: at,
    },
  },
  {
    // RET-19 (issue 16 §4): every version of the statement shown to the victim, word for word.
    table: 'victim_statement_versions',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      statement_id: id,
      consultation_id: id,
      revision: code,
      text: blank('the text of the statement as shown to the victim'),
      sha256: keep('hash'),
      shown_at: at,
      shown_by: staff,
    },
  },
  {
    table: 'victim_statements',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      state: code,
      text: blank('the victim’s account as typed'),
      revision: tech,
      shared_at: at,
      corrections: { do: 'empty-array', holds: 'the victim’s corrections in their words' },
      confirmed_text: nulled('the confirmed statement'),
      confirmed_sha256: keep('hash', 'what was confirmed, provable against a copy held elsewhere'),
      signature_name: nulled('the name typed as the signature'),
      confirmed_at: at,
      evidence_item_id: id,
      updated_by: staff,
      updated_at: at,
      created_at: at,
    },
  },
  {
    table: 'consultation_outcomes',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      kind: code,
      details: {
        do: 'anonymise',
        holds: 'suspect details, last known location, reasons in words, the victim’s shared location (issue 17 §1)',
        how: { keepKeys: ['crimeReference', 'referralType', 'emergency', 'alertId'] },
      },
      recorded_by: staff,
      recorded_at: at,
    },
  },
  {
    table: 'safety_alerts',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      id,
      consultation_id: id,
      call_id: id,
      participant_id: id,
      raised_at: at,
      acknowledged_at: at,
      acknowledged_by: staff,
      escalated_at: at,
      escalated_by: staff,
      outcome_id: id,
    },
  },
  {
    // Issue 17 §1: each position the victim chose to share from their call page. Their personal data: the rows go.
    table: 'victim_locations',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'delete',
    columns: {
      id: withRow,
      consultation_id: withRow,
      call_id: withRow,
      participant_id: withRow,
      latitude: nulled('where the victim was (deleted with the row)'),
      longitude: nulled('where the victim was (deleted with the row)'),
      accuracy_metres: nulled('how precisely (deleted with the row)'),
      measured_at: withRow,
      received_at: withRow,
    },
  },
  {
    // Issue 17 §1: the victim's decisions on sharing their location: a code and the fixed words shown, with the time.
    table: 'location_consents',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      id,
      consultation_id: id,
      call_id: id,
      participant_id: id,
      decision: keep('code', 'shared, declined, stopped or unavailable: the consent record, not where anyone was'),
      wording: keep('configuration'),
      language: keep('audit', 'the language code (en or cy) the question was shown and answered in: part of the consent (RVR-04)'),
      decided_at: at,
    },
  },
  // ── Supervision, outcomes, evaluation ──────────────────────────────────────────────────────────
  {
    table: 'call_observations',
    scope: { via: 'call', column: 'call_id' },
    rows: 'keep',
    columns: {
      id,
      call_id: id,
      participant_id: id,
      observer_id: staff,
      justification: keep('audit', 'the s.62 consultation log of a supervisor watching (DP-01, EVD-15): why they looked'),
      victim_notified: keep('audit'),
      started_at: at,
      ended_at: at,
    },
  },
  {
    table: 'quality_reviews',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      sampled_because: code,
      sampled_at: at,
      officer_id: staff,
      state: code,
      reviewer_id: staff,
      scores: { do: 'anonymise', holds: 'a reviewer’s note beside each score (may describe the call)', how: { dropKeysInEach: ['note'] } },
      feedback: nulled('the reviewer’s feedback in words (may describe the call)'),
      completed_at: at,
      feedback_seen_at: at,
    },
  },
  {
    table: 'satisfaction_surveys',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      token_hash: keep('hash'),
      state: code,
      send_after: at,
      expires_at: at,
      sent_at: at,
      provider: code,
      provider_message_id: nulled('the SMS provider’s message id: the provider can link it to the phone number'),
      send_error: nulled('the provider’s error text (may quote the number)'),
      answered_at: at,
      rating: keep('statistics', 'the satisfaction score (policy 2.2 outcome measure)'),
      comment: nulled('the victim’s comment in their words'),
      created_at: at,
    },
  },
  {
    // Issue 17 §4: a video appointment for later. The number is read from the incident when texting; no free text of the victim's.
    table: 'appointments',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      officer_id: staff,
      slot: at,
      reason: code,
      status: code,
      page_token_hash: keep('hash'),
      reminder_token_hash: keep('hash'),
      booked_by: staff,
      booking_text_sent_at: at,
      reminder_sent_at: at,
      send_error: nulled('the SMS provider’s error text (may quote the number)'),
      joined_at: at,
      missed_at: at,
      cancelled_at: at,
      change_requests: keep('statistics', 'how many times the victim asked for another time'),
      requested_slot: at,
      requested_best_time: code,
      change_requested_at: at,
      follow_up_done_at: at,
      follow_up_done_by: staff,
      follow_up_note: nulled('the supervisor’s note of the follow-up of a missed appointment (may describe the victim)'),
      created_at: at,
    },
  },
  outOfScope('evaluation_trials', 'a trial’s settings', {
    id,
    seed: keep('configuration'),
    block_size: keep('configuration'),
    started_at: at,
    started_by: staff,
    stopped_at: at,
    stopped_by: staff,
    note: staff,
  }),
  {
    table: 'evaluation_allocations',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      consultation_id: id,
      trial_id: id,
      sequence: keep('statistics', 'the randomisation sequence (append-only by trigger: the trial’s integrity)'),
      arm: keep('statistics', 'the trial arm'),
      allocated_at: at,
      allocated_by: staff,
    },
  },
  {
    table: 'evaluation_not_randomised',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: { id, consultation_id: id, trial_id: id, reason: code, recorded_at: at },
  },
  // ── The DPO's own record of erasures ──────────────────────────────────────────────────────────
  {
    table: 'personal_data_erasures',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      id,
      consultation_id: id,
      basis: code,
      disposal_id: id,
      justification: keep('audit', 'the DPO’s reason for an erasure (s.47): the erasure’s own log'),
      erased_by: staff,
      erased_at: at,
      summary: keep('audit', 'tables, columns and row counts erased and kept: never content (DP-03)'),
      certificate: keep('audit', 'the certificate as issued'),
      certificate_sha256: keep('hash'),
    },
  },
  {
    // Issue 16 §1 (DP-09): a correction kept beside the original. Both hold the subject's data: erased with the rest.
    table: 'subject_rectifications',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      request_id: id,
      consultation_id: id,
      field: keep('code', 'which field was corrected, from a fixed list'),
      mode: code,
      original_value: nulled('the value before the correction (the caller’s data)'),
      corrected_value: blank('the corrected value or supplementary statement (the caller’s data)'),
      reason: blank('why it was corrected (may describe the caller)'),
      rectified_by: staff,
      rectified_at: at,
    },
  },
  {
    // Issue 16 §1 (DP-10): a restriction of processing; the s.62 log keeps its own copy of the reason.
    table: 'processing_restrictions',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      request_id: id,
      reason: blank('the reason for the restriction (may describe the caller)'),
      placed_by: staff,
      placed_at: at,
      lifted_by: staff,
      lifted_at: at,
      lift_reason: nulled('the reason for lifting it (may describe the caller)'),
    },
  },
  {
    // Policy 3.4: the IPCO-facing register keeps its row (ids, dates, references); what happened in the call may describe the caller.
    table: 'covert_surveillance_reports',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'update',
    columns: {
      id,
      consultation_id: id,
      description: blank('what happened in the call that amounted to surveillance (may describe the caller or others present)'),
      reported_by: staff,
      reporter_role: code,
      reported_at: at,
      hold_id: id,
      cab_reference: keep('audit', 'the Covert Authorities Bureau’s reference: the register’s link to the IPCO report'),
      ipco_reported_at: at,
    },
  },
  {
    // Issue 16 §3: who was given a case and by whom; staff records and the access's own log, kept with the case.
    table: 'case_assignments',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      id,
      consultation_id: id,
      user_id: staff,
      assigned_by: staff,
      assigned_at: at,
      reason: keep('audit', 'the supervisor’s reason for giving the case (need to know, DP-01)'),
      ended_at: at,
      ended_by: staff,
      end_reason: keep('audit', 'the supervisor’s reason for taking the case away'),
    },
  },
  {
    // Issue 16 §3: break-glass uses, the DPO's notification of each; kept as the access's own log.
    table: 'break_glass_grants',
    scope: { via: 'consultation', column: 'consultation_id' },
    rows: 'keep',
    columns: {
      id,
      consultation_id: id,
      user_id: staff,
      reason: keep('audit', 'the investigator’s reason for the emergency access (DP-01)'),
      granted_at: at,
      expires_at: at,
      dpo_reviewed_at: at,
      dpo_reviewed_by: staff,
    },
  },
  // ── Not about a victim ─────────────────────────────────────────────────────────────────────────
  outOfScope(
    'subject_requests',
    'the DPO’s register of data subjects’ requests (DP-06, DP-07, DP-11): the record that and how the force answered a person, which may span several consultations; kept under its own schedule, not erased with one consultation',
    {
      id,
      reference: id,
      kind: code,
      subject_name: keep('audit', 'who made the request: the register must show whom it answered'),
      subject_phone: keep('audit', 'the requester’s number as given, to find their data and reach them'),
      subject_contact: keep('audit', 'where the written answer goes (DP-06: the response is in writing)'),
      details: keep('audit', 'what the request asked for'),
      received_on: at,
      identity_requested_on: at,
      identity_received_on: at,
      identity_check: keep('audit', 'how the identity was checked'),
      extension_months: code,
      extension_reason: keep('audit', 'the recorded reason for the extension (DP-07)'),
      extension_noticed_on: at,
      paused_days: keep('statistics'),
      paused_since: at,
      restriction_grounds: code,
      restriction_reason: keep('audit', 'why the right of access was restricted (DP-08)'),
      consultation_ids: id,
      decision: code,
      decision_reason: keep('audit', 'the reasons given in the notice of decision (DP-11)'),
      notice_sent_on: at,
      disclosure_sha256: keep('hash'),
      disclosed_at: at,
      created_by: staff,
      created_at: at,
      updated_at: at,
    },
  ),
  outOfScope('audit_events', 'the append-only, hash-chained s.62 log (ADR 0007): it cannot and must not be rewritten', {
    seq: id,
    at,
    what: code,
    who: staff,
    subject: keep('audit', 'ids of what was acted on'),
    correlation_id: tech,
    actor_role: code,
    session_id: staff,
    client_ip: staff,
    recipient: keep('audit', 'who received a disclosure (DP-01)'),
    justification: keep('audit', 'why staff looked or disclosed, in their words: may name a caller (see the ADR 0016)'),
    details: keep('audit', 'ids, hashes, counts and codes (DP-03); see ADR 0016 for what it can hold'),
    prev_hash: keep('hash'),
    hash: keep('hash'),
    key_id: tech,
  }),
  outOfScope('users', 'staff accounts', {
    id,
    username: staff,
    display_name: staff,
    password_hash: staff,
    is_demo: staff,
    disabled_at: at,
    mfa_secret: staff,
    mfa_enrolled_at: at,
    mfa_pending_secret: staff,
    mfa_last_step: staff,
    failed_sign_ins: staff,
    locked_until: at,
    last_sign_in_at: at,
    oidc_issuer: staff,
    oidc_subject: staff,
    created_at: at,
  }),
  outOfScope('roles', 'configuration', { name: code, description: keep('configuration') }),
  outOfScope('user_roles', 'staff accounts', { user_id: staff, role: code }),
  outOfScope('role_grant_requests', 'staff accounts', {
    id,
    user_id: staff,
    role: code,
    requested_by: staff,
    requested_at: at,
    reason: staff,
    state: code,
    decided_by: staff,
    decided_at: at,
    decision_reason: staff,
  }),
  outOfScope('sessions', 'staff sign-in sessions', {
    token_hash: keep('hash'),
    id,
    user_id: staff,
    created_at: at,
    last_seen_at: at,
    expires_at: at,
    ended_at: at,
    ended_reason: code,
    user_agent: staff,
    client_ip: staff,
    method: code,
    mfa_verified_at: at,
    stepped_up_at: at,
  }),
  outOfScope('policy_versions', 'the force’s policy', {
    id,
    version: code,
    title: keep('configuration'),
    body: keep('configuration'),
    url: keep('configuration'),
    published_by: staff,
    published_at: at,
  }),
  // DP-15: the controller’s breach register (s.67(6)): facts, effects and remedial action, describing data subjects by category and number, never by name.
  outOfScope('personal_data_breaches', 'the controller’s record of breaches (DPA 2018 s.67(6)), not tied to one consultation', {
    id,
    title: keep('audit', 'the breach register (s.67(6)); written without naming data subjects'),
    nature: keep('audit', 'the breach register (s.67(6)); written without naming data subjects'),
    categories: keep('statistics'),
    approx_subjects: keep('statistics'),
    approx_records: keep('statistics'),
    occurred_at: at,
    aware_at: at,
    recorded_by: staff,
    recorded_at: at,
    risk: code,
    consequences: keep('audit', 'the breach register (s.67(6)): its effects'),
    measures: keep('audit', 'the breach register (s.67(6)): the remedial action'),
    assessed_by: staff,
    assessed_at: at,
    decision: code,
    decision_reason: keep('audit', 'the reason for not notifying the ICO (s.67(1))'),
    decided_by: staff,
    decided_at: at,
    ico_notified_at: at,
    ico_reference: keep('audit', 'the ICO’s reference'),
    late_reason: keep('audit', 'the reasons for a late notification (s.67(4))'),
  }),
  outOfScope('breach_subject_notifications', 'the breach register’s record of data subjects told (s.68), as a group and a number', {
    id,
    breach_id: id,
    subjects: keep('statistics', 'a group and a number, never names'),
    method: code,
    notified_at: at,
    recorded_by: staff,
    recorded_at: at,
  }),
  outOfScope('dpia_records', 'the DPIA under which RVR runs (DP-13, SC-2)', {
    id,
    reference: keep('configuration'),
    approved_by: staff,
    approved_on: at,
    review_due: at,
    recorded_by: staff,
    recorded_at: at,
  }),
  outOfScope('policy_acknowledgements', 'staff records', { user_id: staff, policy_version_id: id, acknowledged_at: at }),
  outOfScope('training_records', 'staff records (SC-8): the training of staff, not a caller’s data', {
    id,
    user_id: staff,
    course: code,
    completed_on: at,
    expires_on: at,
    recorded_by: staff,
    recorded_at: at,
  }),
  outOfScope('system_owner_appointments', 'staff records (SC-4): who is the named system owner, and every transfer', {
    id,
    user_id: staff,
    proposed_by: staff,
    proposed_at: at,
    note: keep('staff', 'the administrator’s note on a transfer of system ownership'),
    accepted_at: at,
    declined_at: at,
    ended_at: at,
  }),
  outOfScope('api_keys', 'the CAD integration’s keys', {
    id,
    name: keep('configuration'),
    prefix: keep('configuration'),
    secret_hash: keep('hash'),
    scopes: keep('configuration'),
    created_at: at,
    revoked_at: at,
    last_used_at: at,
  }),
  outOfScope('idempotency_keys', 'CAD API replay answers: the triage decision (ids, codes), no caller details', {
    api_key_id: id,
    key: id,
    request_hash: keep('hash'),
    response_status: code,
    response_body: keep('code', 'the triage answer sent to CAD: ids, state and reason codes'),
    created_at: at,
  }),
  outOfScope('media_nodes', 'the installation’s servers', {
    id: tech,
    internal_url: tech,
    roles: tech,
    capacity: tech,
    load: tech,
    state: code,
    started_at: at,
    heartbeat_at: at,
  }),
  outOfScope('officer_availability', 'staff availability', { user_id: staff, status: code, updated_at: at }),
];

/** The treatments that remove or reduce a value (anything but keep). */
export function isErased(treatment: ColumnTreatment): treatment is Exclude<ColumnTreatment, { do: 'keep' }> {
  return treatment.do !== 'keep';
}

/** The inventory as a Markdown document (docs/personal-data-inventory.md, checked by the inventory test). */
export function renderInventoryMarkdown(inventory: TableInventory[] = PERSONAL_DATA_INVENTORY): string {
  const lines = [
    '# Personal data inventory',
    '',
    '<!-- Generated from src/features/dpo/personal-data-inventory.ts: `WRITE_INVENTORY_DOC=1 node --import tsx --test src/features/dpo/personal-data-inventory.test.ts`. A test fails if this file or the inventory falls behind the schema. -->',
    '',
    'Every column of every table, and what disposal or a DPO-ordered erasure of one consultation does to it (issue 16 §2;',
    'RET-02, DP-05, DP-10; ADR 0016). **delete**: the rows go; **null** / **blank** (`[erased]`) / **empty**: the value',
    'goes; **anonymise**: reduced irreversibly; **keep**: kept, for the reason given.',
    '',
  ];
  for (const entry of inventory) {
    const scope =
      entry.scope.via === 'none'
        ? `not about one consultation: ${entry.scope.why}`
        : entry.scope.via === 'self'
          ? 'the consultation itself'
          : entry.scope.via === 'incident'
            ? 'the consultation’s incident'
            : `rows by \`${entry.scope.column}\`${entry.scope.via === 'call' ? ' (the consultation’s calls)' : ''}`;
    lines.push(`## \`${entry.table}\``, '', `Scope: ${scope}. Rows: **${entry.rows}**.`, '', '| Column | Treatment | Holds / reason |', '|---|---|---|');
    for (const [column, treatment] of Object.entries(entry.columns)) {
      const what =
        treatment.do === 'keep'
          ? `keep (${treatment.why})${treatment.note ? `: ${treatment.note}` : ''}`
          : treatment.do === 'anonymise'
            ? `anonymise (${describeAnonymisation(treatment.how)}): ${treatment.holds}`
            : `${entry.rows === 'delete' ? 'delete (row)' : treatment.do}: ${treatment.holds}`;
      const [kind, ...rest] = what.split(': ');
      lines.push(`| \`${column}\` | ${kind} | ${rest.join(': ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function describeAnonymisation(how: Anonymisation): string {
  if ('dropKeys' in how) return `drop ${how.dropKeys.join(', ')}`;
  if ('keepKeys' in how) return `keep only ${how.keepKeys.join(', ')}`;
  if ('dropKeysInEach' in how) return `drop each ${how.dropKeysInEach.join(', ')}`;
  return `replace by ${how.copyColumn}`;
}
