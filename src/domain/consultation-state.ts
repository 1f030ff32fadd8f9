import type { Role } from './roles.js';

/**
 * The consultation spine (ARCHITECTURE.md §1). Each state's timestamp is an outcome measure of the
 * evaluation (time from call to officer, RVR-*), so states are never skipped or rewritten.
 */
export const CONSULTATION_STATES = [
  'triaged_eligible',
  'triaged_ineligible',
  'queued',
  'accepted',
  'appointment_booked',
  'invited',
  'victim_joined',
  'connected',
  'call_interrupted',
  'completed',
  'abandoned',
  'escalated_to_attendance',
] as const;

export type ConsultationState = (typeof CONSULTATION_STATES)[number];

export const TERMINAL_STATES: readonly ConsultationState[] = ['completed', 'abandoned', 'escalated_to_attendance'];

/** Who can move a consultation: a staff role, the victim through their link, or the platform itself (timers, media events). */
export type TransitionActor = Role | 'victim' | 'system';

interface TransitionRule {
  by: readonly TransitionActor[];
  /** Transitions that end or reverse a decision must say why (recorded in the event and the audit log). */
  reasonRequired: boolean;
}

const ENDINGS_BY_STAFF: readonly TransitionActor[] = ['rvr_officer', 'supervisor', 'system'];

/**
 * Issue 18: a call that stopped without the officer ending it (server or media node lost, everyone's page gone, its
 * maximum length reached) leaves the consultation where the officer can act on it, never stuck as "connected".
 */
const CALL_STOPPED: TransitionRule = { by: ['system'], reasonRequired: true };

export const TRANSITIONS: Readonly<Partial<Record<ConsultationState, Partial<Record<ConsultationState, TransitionRule>>>>> = {
  triaged_eligible: {
    // 'system': an eligible decision arriving from CAD is queued automatically.
    queued: { by: ['call_handler', 'supervisor', 'system'], reasonRequired: false },
    // 'system': a CAD call that the evaluation trial randomises to standard attendance (policy 2.2).
    escalated_to_attendance: { by: ['call_handler', 'supervisor', 'system'], reasonRequired: true },
    abandoned: { by: ['call_handler', 'supervisor'], reasonRequired: true },
    // Issue 17 §4 (policy 4.0): the caller cannot talk now, so the call handler books a video appointment at triage
    // instead of queuing the call. No officer holds it yet: one takes it (or a supervisor assigns it) before the time.
    appointment_booked: { by: ['call_handler', 'supervisor'], reasonRequired: false },
  },
  triaged_ineligible: {
    // A supervisor may override an exclusion with a recorded rationale (policy 2.1).
    triaged_eligible: { by: ['supervisor'], reasonRequired: true },
    escalated_to_attendance: { by: ['call_handler', 'supervisor'], reasonRequired: false },
  },
  queued: {
    accepted: { by: ['rvr_officer'], reasonRequired: false },
    abandoned: { by: ['call_handler', 'supervisor', 'system'], reasonRequired: true },
    escalated_to_attendance: { by: ['call_handler', 'supervisor'], reasonRequired: true },
  },
  accepted: {
    // The officer hands the consultation back to the queue (e.g. called away).
    queued: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
    invited: { by: ['rvr_officer', 'system'], reasonRequired: false },
    // Issue 17 §4 (policy 4.0): the victim cannot talk now or needs an interpreter; the officer books a time.
    appointment_booked: { by: ['rvr_officer'], reasonRequired: false },
    abandoned: { by: ENDINGS_BY_STAFF, reasonRequired: true },
    escalated_to_attendance: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
  },
  // The officer still holds it but is free for other calls until the appointment. "invited": the platform texts the
  // link shortly before the slot (the reminder job), so it is the platform's step, taken for the booking officer.
  appointment_booked: {
    invited: { by: ['system'], reasonRequired: false },
    queued: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
    abandoned: { by: ENDINGS_BY_STAFF, reasonRequired: true },
    escalated_to_attendance: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
  },
  invited: {
    victim_joined: { by: ['victim', 'system'], reasonRequired: false },
    call_interrupted: CALL_STOPPED,
    abandoned: { by: ENDINGS_BY_STAFF, reasonRequired: true },
    escalated_to_attendance: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
  },
  victim_joined: {
    connected: { by: ['system'], reasonRequired: false },
    // The victim left before media connected; the officer sends a new link.
    invited: { by: ['rvr_officer', 'system'], reasonRequired: false },
    call_interrupted: CALL_STOPPED,
    abandoned: { by: ENDINGS_BY_STAFF, reasonRequired: true },
    escalated_to_attendance: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
  },
  connected: {
    completed: { by: ['rvr_officer', 'supervisor'], reasonRequired: false },
    // Call dropped or the victim used the quick exit; the officer may re-invite.
    invited: { by: ['rvr_officer', 'system'], reasonRequired: false },
    call_interrupted: CALL_STOPPED,
    abandoned: { by: ENDINGS_BY_STAFF, reasonRequired: true },
    escalated_to_attendance: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
  },
  // The officer still holds it (not on a live call: free to take another) and resumes the call, completes it with
  // its outcome, or escalates it. "invited": only through "Resume the call", which opens a new call for the victim to
  // rejoin (so it is the platform's step, taken for the officer; their resume is the call's audited event).
  call_interrupted: {
    invited: { by: ['system'], reasonRequired: false },
    completed: { by: ['rvr_officer', 'supervisor'], reasonRequired: false },
    abandoned: { by: ENDINGS_BY_STAFF, reasonRequired: true },
    escalated_to_attendance: { by: ['rvr_officer', 'supervisor'], reasonRequired: true },
  },
};

/** States an open call may be in when it stops without the officer ending it: the consultation moves to call_interrupted. */
export const CALL_INTERRUPTIBLE_STATES: readonly ConsultationState[] = ['invited', 'victim_joined', 'connected'];

export type TransitionDecision = { allowed: true } | { allowed: false; reason: string };

export function isConsultationState(value: string): value is ConsultationState {
  return (CONSULTATION_STATES as readonly string[]).includes(value);
}

export function stateLabel(state: ConsultationState): string {
  return state.replaceAll('_', ' ');
}

/** Decides a transition. Pure: the service applies the decision; this only says yes, or no and why. */
export function decideTransition(from: ConsultationState, to: ConsultationState, actors: readonly TransitionActor[], reason?: string): TransitionDecision {
  if (TERMINAL_STATES.includes(from)) {
    return { allowed: false, reason: `The consultation is already ${stateLabel(from)}; it cannot change any more.` };
  }
  const rule = TRANSITIONS[from]?.[to];
  if (!rule) {
    return { allowed: false, reason: `A consultation that is ${stateLabel(from)} cannot move to ${stateLabel(to)}.` };
  }
  if (!actors.some((actor) => rule.by.includes(actor))) {
    return {
      allowed: false,
      reason: `Only ${rule.by.map((a) => a.replaceAll('_', ' ')).join(' or ')} can move a consultation from ${stateLabel(from)} to ${stateLabel(to)}.`,
    };
  }
  if (rule.reasonRequired && !reason?.trim()) {
    return { allowed: false, reason: `Give a reason to move the consultation from ${stateLabel(from)} to ${stateLabel(to)}.` };
  }
  return { allowed: true };
}

/** The transitions these actors may attempt now (to offer them as buttons). */
export function availableTransitions(from: ConsultationState, actors: readonly TransitionActor[]): { to: ConsultationState; reasonRequired: boolean }[] {
  const options = TRANSITIONS[from] ?? {};
  return Object.entries(options)
    .filter(([, rule]) => actors.some((actor) => rule.by.includes(actor)))
    .map(([to, rule]) => ({ to: to as ConsultationState, reasonRequired: rule.reasonRequired }));
}

/** Which timestamp column a state stamps when it is entered (first entry only: the RCT measures the first time). */
export const STATE_TIMESTAMP: Partial<Record<ConsultationState, 'queuedAt' | 'acceptedAt' | 'invitedAt' | 'victimJoinedAt' | 'connectedAt' | 'endedAt'>> = {
  queued: 'queuedAt',
  accepted: 'acceptedAt',
  invited: 'invitedAt',
  victim_joined: 'victimJoinedAt',
  connected: 'connectedAt',
  completed: 'endedAt',
  abandoned: 'endedAt',
  escalated_to_attendance: 'endedAt',
};
