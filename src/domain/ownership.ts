import { availableTransitions, decideTransition, stateLabel, type ConsultationState, type TransitionActor } from './consultation-state.js';
import { hasPermission, mayReadInvestigation } from './permissions.js';
import type { Role } from './roles.js';

/**
 * Object-level access (SEC-11 need to know, DP-01): the permission table says what a role may do to *some*
 * consultation; these rules say whether this person may do it to *this* one. Pure: the services load the row,
 * ask here, and refuse (and log the refusal) when the answer is no.
 */

/** A signed-in staff member as these rules see them. */
export interface StaffMember {
  userId: string;
  roles: readonly Role[];
}

/** Why an object-level request was refused: a code for the audit log, so a DPO can see someone probing. */
export type ObjectRefusal =
  | 'not_assigned_officer'
  | 'not_a_reader'
  | 'reason_required'
  | 'own_review'
  | 'officer_not_available'
  | 'not_an_officer'
  | 'same_officer'
  | 'not_assigned_state'
  | 'case_not_assigned';

export type ObjectDecision = { allowed: true } | { allowed: false; refusal: ObjectRefusal; message: string };

const ALLOWED: ObjectDecision = { allowed: true };

/** States in which one officer holds the consultation: from accepting it until it ends or goes back to the queue. */
export const ASSIGNED_STATES: readonly ConsultationState[] = ['accepted', 'appointment_booked', 'invited', 'victim_joined', 'connected', 'call_interrupted'];

export function isAssignedState(state: string): boolean {
  return (ASSIGNED_STATES as readonly string[]).includes(state);
}

/**
 * The live work of a consultation (its video call, links, notes, snapshots, the investigation written in the call,
 * "I'm not safe" alerts): only the officer who accepted it. A supervisor watches (observes) and reviews; they do
 * not write the officer's record.
 */
export function mayConductConsultation(member: StaffMember, assignedOfficerId: string | null): ObjectDecision {
  if (assignedOfficerId !== null && member.userId === assignedOfficerId && member.roles.includes('rvr_officer')) return ALLOWED;
  return { allowed: false, refusal: 'not_assigned_officer', message: 'Only the officer who accepted this consultation can do this.' };
}

/**
 * The call record and the investigation record follow one rule (DP-01): the assigned officer, supervisors and
 * investigators. The record's content (notes, chat) is opened with a reason on top of this.
 */
export function mayReadConsultationRecord(member: StaffMember, assignedOfficerId: string | null): ObjectDecision {
  if (mayReadInvestigation(member.roles, member.userId, assignedOfficerId)) return ALLOWED;
  return {
    allowed: false,
    refusal: 'not_a_reader',
    message: 'Only the officer who took this consultation, a supervisor or an investigator can read this record.',
  };
}

/**
 * Caller details (name, number, address): the control room that took the call, supervisors and investigators,
 * and of RVR officers only the one who accepted it. Each view is also justified and logged (DP-01).
 */
export function mayViewCallerDetails(member: StaffMember, assignedOfficerId: string | null): ObjectDecision {
  if (!hasPermission(member.roles, 'victim_data.view'))
    return { allowed: false, refusal: 'not_a_reader', message: 'Your role does not give you access to caller details.' };
  if (member.roles.some((role) => role === 'call_handler' || role === 'supervisor' || role === 'investigator')) return ALLOWED;
  if (assignedOfficerId !== null && member.userId === assignedOfficerId) return ALLOWED;
  return {
    allowed: false,
    refusal: 'not_assigned_officer',
    message: 'Only the officer who accepted this consultation can see the caller’s details. Accept it from the queue first.',
  };
}

export type TransitionCheck =
  | { allowed: true; actingAs: TransitionActor }
  /**
   * `state`: the state machine refuses this step for these roles, or a reason is missing (409, as for anyone);
   * `object`: the step is one their role takes, but this consultation is another officer's (403, and logged).
   */
  | { allowed: false; kind: 'state' | 'object'; refusal?: ObjectRefusal; message: string };

/**
 * A staff member moving a consultation. Before acceptance the state machine's role table decides (the control
 * room hands the call over; any RVR officer may accept it from the queue). Once an officer holds it, only that
 * officer moves it, or a supervisor, who must always say why (the reason is recorded); any other officer is
 * refused, whatever their role would allow on their own consultation.
 */
export function decideStaffTransition(
  member: StaffMember,
  consultation: { state: ConsultationState; officerId: string | null },
  to: ConsultationState,
  reason?: string,
): TransitionCheck {
  const { state } = consultation;
  const held = isAssignedState(state) && member.userId !== consultation.officerId;
  if (!held) {
    const decision = decideTransition(state, to, member.roles, reason);
    if (!decision.allowed) return { allowed: false, kind: 'state', message: decision.reason };
    return { allowed: true, actingAs: actingAs(state, to, member.roles) };
  }
  const supervising: TransitionActor[] = member.roles.includes('supervisor') ? ['supervisor'] : [];
  const asSupervisor = decideTransition(state, to, supervising, reason);
  if (asSupervisor.allowed || (supervising.length > 0 && decideTransition(state, to, supervising, 'x').allowed)) {
    if (!reason?.trim())
      return {
        allowed: false,
        kind: 'state',
        refusal: 'reason_required',
        message: `Another officer has accepted this consultation: give your reason to move it to ${stateLabel(to)} (it is recorded).`,
      };
    return { allowed: true, actingAs: 'supervisor' };
  }
  // Their role could take this step on a consultation of their own; this one is another officer's.
  if (decideTransition(state, to, member.roles, 'x').allowed)
    return {
      allowed: false,
      kind: 'object',
      refusal: 'not_assigned_officer',
      message: 'Another officer has accepted this consultation: only they, or a supervisor, can move it.',
    };
  const asRoles = decideTransition(state, to, member.roles, reason);
  return { allowed: false, kind: 'state', message: asRoles.allowed ? 'This step is not open to you.' : asRoles.reason };
}

function actingAs(from: ConsultationState, to: ConsultationState, actors: readonly TransitionActor[]): TransitionActor {
  return actors.find((actor) => decideTransition(from, to, [actor], 'x').allowed) ?? actors[0]!;
}

/** The steps to offer this person as buttons: none on another officer's consultation, unless they supervise (then with a reason). */
export function staffTransitionOptions(
  member: StaffMember,
  consultation: { state: ConsultationState; officerId: string | null },
): { to: ConsultationState; reasonRequired: boolean }[] {
  const held = isAssignedState(consultation.state) && member.userId !== consultation.officerId;
  if (!held) return availableTransitions(consultation.state, member.roles);
  const supervisor = member.roles.filter((role) => role === 'supervisor');
  return availableTransitions(consultation.state, supervisor).map((option) => ({ ...option, reasonRequired: true }));
}

/**
 * Reassignment: a supervisor moves a consultation an officer holds to another officer, with a recorded reason.
 * The new officer must be an enabled RVR officer who is available now (not offline, not on another call).
 */
export function decideReassignment(input: {
  member: StaffMember;
  state: ConsultationState;
  currentOfficerId: string | null;
  newOfficer: { id: string; roles: readonly Role[]; disabled: boolean; availability: 'available' | 'on_call' | 'offline' } | undefined;
  reason: string | undefined;
}): ObjectDecision {
  if (!input.member.roles.includes('supervisor'))
    return { allowed: false, refusal: 'not_assigned_officer', message: 'Only a supervisor can reassign a consultation.' };
  if (!isAssignedState(input.state))
    return {
      allowed: false,
      refusal: 'not_assigned_state',
      message: `A consultation that is ${stateLabel(input.state)} has no officer to reassign from. Only an accepted consultation, up to its end, can be reassigned.`,
    };
  if (!input.reason?.trim()) return { allowed: false, refusal: 'reason_required', message: 'Give the reason for the reassignment (it is recorded).' };
  const officer = input.newOfficer;
  if (!officer || officer.disabled || !officer.roles.includes('rvr_officer'))
    return { allowed: false, refusal: 'not_an_officer', message: 'Choose an RVR officer whose account is active.' };
  if (officer.id === input.currentOfficerId)
    return { allowed: false, refusal: 'same_officer', message: 'That officer already has this consultation. Choose another officer.' };
  if (officer.availability !== 'available')
    return {
      allowed: false,
      refusal: 'officer_not_available',
      message:
        officer.availability === 'on_call'
          ? 'That officer is on another call. Choose an officer who is available.'
          : 'That officer is offline. Choose an officer who is available, or ask them to set themselves available first.',
    };
  return ALLOWED;
}

/** A supervisor never reviews a consultation they answered themselves as the officer (policy 4.0: the check is someone else's). */
export function mayReviewConsultation(member: StaffMember, reviewedOfficerId: string | null): ObjectDecision {
  if (!member.roles.includes('supervisor')) return { allowed: false, refusal: 'not_a_reader', message: 'Only a supervisor can review a consultation.' };
  if (reviewedOfficerId !== null && reviewedOfficerId === member.userId)
    return { allowed: false, refusal: 'own_review', message: 'You answered this consultation: another supervisor must review it.' };
  return ALLOWED;
}

/** Roles whose duty reaches every case without an assignment: oversight, custody, data protection, conduct. */
const CASE_WIDE_ROLES: readonly Role[] = ['supervisor', 'evidence_manager', 'dpo', 'professional_standards'];

/** What gives an investigator a case: a supervisor's assignment, or their own break-glass access until it runs out. */
export interface CaseGrant {
  assigned: boolean;
  breakGlassUntil: Date | null;
}

/**
 * Per-case access for investigators (issue 16 §3, SEC-11 need to know, DP-01): an investigator opens a consultation's
 * record, evidence, call record and statement only if a supervisor assigned the case to them, or through break-glass
 * access (a recorded reason, time-limited, the DPO alerted) that has not expired. The rule narrows investigators only:
 * someone who also holds a case-wide role, or is the consultation's own officer, keeps that role's reach.
 */
export function mayOpenCase(member: StaffMember, grant: CaseGrant, now: Date, assignedOfficerId: string | null = null): ObjectDecision {
  if (!member.roles.includes('investigator')) return ALLOWED;
  if (member.roles.some((role) => CASE_WIDE_ROLES.includes(role))) return ALLOWED;
  if (assignedOfficerId !== null && assignedOfficerId === member.userId) return ALLOWED;
  if (grant.assigned) return ALLOWED;
  if (grant.breakGlassUntil !== null && grant.breakGlassUntil.getTime() > now.getTime()) return ALLOWED;
  return {
    allowed: false,
    refusal: 'case_not_assigned',
    message:
      'This case is not assigned to you. Ask a supervisor to assign it to you, or, in an emergency, use break-glass access from your Investigations page (your reason is recorded and the data protection officer is told).',
  };
}

/** A supervisor gives or takes away an investigator's case, with a reason. */
export function decideCaseAssignment(input: {
  member: StaffMember;
  investigator: { roles: readonly Role[]; disabled: boolean } | undefined;
  reason: string | undefined;
}): ObjectDecision {
  if (!input.member.roles.includes('supervisor'))
    return { allowed: false, refusal: 'not_a_reader', message: 'Only a supervisor can assign cases to investigators.' };
  if (!input.reason?.trim()) return { allowed: false, refusal: 'reason_required', message: 'Give the reason (it is recorded).' };
  if (!input.investigator || input.investigator.disabled || !input.investigator.roles.includes('investigator'))
    return { allowed: false, refusal: 'not_a_reader', message: 'Choose an investigator whose account is active.' };
  return ALLOWED;
}
