import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONSULTATION_STATES, TERMINAL_STATES, TRANSITIONS, type ConsultationState } from './consultation-state.js';
import {
  ASSIGNED_STATES,
  decideReassignment,
  decideStaffTransition,
  mayConductConsultation,
  mayReadConsultationRecord,
  mayReviewConsultation,
  mayViewCallerDetails,
  staffTransitionOptions,
} from './ownership.js';
import { ROLES, type Role } from './roles.js';

const ME = 'user-me';
const OTHER = 'user-other';
/** The three relations every object-level rule is checked against. */
const RELATIONS = { own: ME, others: OTHER, unassigned: null } as const;

describe('mayConductConsultation: the call and the investigation written in it are the assigned officer’s alone', () => {
  for (const role of ROLES) {
    for (const [relation, officerId] of Object.entries(RELATIONS)) {
      const expected = role === 'rvr_officer' && relation === 'own';
      it(`${role}, ${relation}: ${expected ? 'allowed' : 'refused'}`, () => {
        const decision = mayConductConsultation({ userId: ME, roles: [role] }, officerId);
        assert.equal(decision.allowed, expected);
        if (!decision.allowed) assert.equal(decision.refusal, 'not_assigned_officer');
      });
    }
  }
  it('a supervisor who is also an officer does not run another officer’s call', () => {
    assert.equal(mayConductConsultation({ userId: ME, roles: ['rvr_officer', 'supervisor'] }, OTHER).allowed, false);
  });
});

describe('mayReadConsultationRecord (DP-01): the assigned officer, supervisors and investigators', () => {
  for (const role of ROLES) {
    for (const [relation, officerId] of Object.entries(RELATIONS)) {
      const expected = role === 'supervisor' || role === 'investigator' || (role === 'rvr_officer' && relation === 'own');
      it(`${role}, ${relation}: ${expected ? 'allowed' : 'refused'}`, () => {
        assert.equal(mayReadConsultationRecord({ userId: ME, roles: [role] }, officerId).allowed, expected);
      });
    }
  }
});

describe('mayViewCallerDetails (DP-01): the control room, supervisors, investigators, and the officer who accepted', () => {
  for (const role of ROLES) {
    for (const [relation, officerId] of Object.entries(RELATIONS)) {
      const expected = ['call_handler', 'supervisor', 'investigator'].includes(role) || (role === 'rvr_officer' && relation === 'own');
      it(`${role}, ${relation}: ${expected ? 'allowed' : 'refused'}`, () => {
        assert.equal(mayViewCallerDetails({ userId: ME, roles: [role] }, officerId).allowed, expected);
      });
    }
  }
});

describe('decideStaffTransition: once accepted, only the assigned officer or a supervisor (with a reason) moves a consultation', () => {
  const reason = 'Officer called to another incident';
  const steps = CONSULTATION_STATES.flatMap((from) => CONSULTATION_STATES.map((to) => [from, to] as const));

  it('before acceptance the state machine alone decides, whoever the officer field names', () => {
    for (const [from, to] of steps.filter(([from]) => !ASSIGNED_STATES.includes(from))) {
      for (const role of ROLES) {
        const rule = TRANSITIONS[from]?.[to];
        const expected = !TERMINAL_STATES.includes(from) && Boolean(rule?.by.includes(role));
        const decision = decideStaffTransition({ userId: ME, roles: [role] }, { state: from, officerId: null }, to, reason);
        assert.equal(decision.allowed, expected, `${role}: ${from} → ${to}`);
        if (!decision.allowed) assert.equal(decision.kind, 'state');
      }
    }
  });

  it('the assigned officer takes every step their role takes on their own consultation', () => {
    for (const from of ASSIGNED_STATES) {
      for (const to of CONSULTATION_STATES) {
        const rule = TRANSITIONS[from]?.[to];
        const expected = Boolean(rule?.by.includes('rvr_officer'));
        const decision = decideStaffTransition({ userId: ME, roles: ['rvr_officer'] }, { state: from, officerId: ME }, to, reason);
        assert.equal(decision.allowed, expected, `${from} → ${to}`);
        if (decision.allowed) assert.equal(decision.actingAs, 'rvr_officer');
      }
    }
  });

  it('another officer is refused every step an officer could take on their own (object-level, 403), and the state machine’s word stands for the rest', () => {
    for (const from of ASSIGNED_STATES) {
      for (const to of CONSULTATION_STATES) {
        const decision = decideStaffTransition({ userId: ME, roles: ['rvr_officer'] }, { state: from, officerId: OTHER }, to, reason);
        assert.equal(decision.allowed, false, `${from} → ${to}`);
        if (decision.allowed) continue;
        const officerStep = Boolean(TRANSITIONS[from]?.[to]?.by.includes('rvr_officer'));
        assert.equal(decision.kind, officerStep ? 'object' : 'state', `${from} → ${to}`);
        if (officerStep) assert.equal(decision.refusal, 'not_assigned_officer');
      }
    }
  });

  it('the issue’s example: another officer can neither re-queue nor abandon a consultation someone else accepted', () => {
    for (const to of ['queued', 'abandoned', 'escalated_to_attendance'] as const) {
      const decision = decideStaffTransition({ userId: ME, roles: ['rvr_officer'] }, { state: 'accepted', officerId: OTHER }, to, reason);
      assert.deepEqual(decision.allowed ? 'allowed' : [decision.kind, decision.refusal], ['object', 'not_assigned_officer']);
    }
  });

  it('a supervisor moves another officer’s consultation only with a reason, and only by the supervisor’s own steps', () => {
    for (const from of ASSIGNED_STATES) {
      for (const to of CONSULTATION_STATES) {
        const supervisorStep = Boolean(TRANSITIONS[from]?.[to]?.by.includes('supervisor'));
        for (const roles of [['supervisor'], ['supervisor', 'rvr_officer']] as Role[][]) {
          const withReason = decideStaffTransition({ userId: ME, roles }, { state: from, officerId: OTHER }, to, reason);
          assert.equal(withReason.allowed, supervisorStep, `${roles.join('+')}: ${from} → ${to}`);
          if (withReason.allowed) assert.equal(withReason.actingAs, 'supervisor');
          const without = decideStaffTransition({ userId: ME, roles }, { state: from, officerId: OTHER }, to, '  ');
          assert.equal(without.allowed, false);
          if (supervisorStep && !without.allowed) assert.equal(without.refusal, 'reason_required', `${from} → ${to}`);
        }
      }
    }
    // connected → completed needs no reason from the officer, but does from a supervisor acting on another officer's call.
    assert.equal(decideStaffTransition({ userId: ME, roles: ['supervisor'] }, { state: 'connected', officerId: OTHER }, 'completed').allowed, false);
    assert.equal(decideStaffTransition({ userId: OTHER, roles: ['rvr_officer'] }, { state: 'connected', officerId: OTHER }, 'completed').allowed, true);
  });

  it('a call handler’s part ends at the handover: no step once an officer holds the consultation', () => {
    for (const from of ASSIGNED_STATES)
      for (const to of CONSULTATION_STATES)
        for (const officerId of [ME, OTHER, null])
          assert.equal(decideStaffTransition({ userId: ME, roles: ['call_handler'] }, { state: from, officerId }, to, reason).allowed, false);
  });

  it('offers as buttons exactly the steps it would allow', () => {
    for (const state of CONSULTATION_STATES) {
      for (const role of ROLES) {
        for (const officerId of [ME, OTHER, null]) {
          const member = { userId: ME, roles: [role] };
          const offered = staffTransitionOptions(member, { state, officerId });
          for (const to of CONSULTATION_STATES) {
            const allowed = decideStaffTransition(member, { state, officerId }, to, reason).allowed;
            const option = offered.find((o) => o.to === to);
            assert.equal(Boolean(option) && !TERMINAL_STATES.includes(state), allowed, `${role} ${String(officerId)}: ${state} → ${to}`);
            if (option && officerId === OTHER && ASSIGNED_STATES.includes(state)) assert.equal(option.reasonRequired, true);
          }
        }
      }
    }
  });
});

describe('decideReassignment: an explicit supervisor action, with a reason, to an available officer', () => {
  const officer = { id: 'user-new', roles: ['rvr_officer'] as Role[], disabled: false, availability: 'available' as const };
  const base = {
    member: { userId: ME, roles: ['supervisor'] as Role[] },
    state: 'accepted' as ConsultationState,
    currentOfficerId: OTHER,
    newOfficer: officer,
    reason: 'Officer unwell',
  };

  it('allows a supervisor to move a held consultation to an available officer', () => {
    for (const state of ASSIGNED_STATES) assert.deepEqual(decideReassignment({ ...base, state }), { allowed: true });
  });
  it('refuses every other role', () => {
    for (const role of ROLES.filter((r) => r !== 'supervisor'))
      assert.equal(decideReassignment({ ...base, member: { userId: ME, roles: [role] } }).allowed, false, role);
  });
  it('refuses a consultation nobody holds, or one that has ended', () => {
    for (const state of CONSULTATION_STATES.filter((s) => !ASSIGNED_STATES.includes(s))) {
      const decision = decideReassignment({ ...base, state });
      assert.equal(decision.allowed ? 'allowed' : decision.refusal, 'not_assigned_state', state);
    }
  });
  it('needs a reason, an active RVR officer, someone else, and that officer available', () => {
    const refusal = (input: Partial<Parameters<typeof decideReassignment>[0]>) => {
      const decision = decideReassignment({ ...base, ...input });
      return decision.allowed ? 'allowed' : decision.refusal;
    };
    assert.equal(refusal({ reason: ' ' }), 'reason_required');
    assert.equal(refusal({ newOfficer: undefined }), 'not_an_officer');
    assert.equal(refusal({ newOfficer: { ...officer, roles: ['call_handler'] } }), 'not_an_officer');
    assert.equal(refusal({ newOfficer: { ...officer, disabled: true } }), 'not_an_officer');
    assert.equal(refusal({ currentOfficerId: officer.id }), 'same_officer');
    assert.equal(refusal({ newOfficer: { ...officer, availability: 'on_call' } }), 'officer_not_available');
    assert.equal(refusal({ newOfficer: { ...officer, availability: 'offline' } }), 'officer_not_available');
  });
});

describe('mayReviewConsultation: a supervisor never reviews their own response', () => {
  for (const role of ROLES) {
    for (const [relation, officerId] of Object.entries(RELATIONS)) {
      const expected = role === 'supervisor' && relation !== 'own';
      it(`${role}, ${relation}: ${expected ? 'allowed' : 'refused'}`, () => {
        assert.equal(mayReviewConsultation({ userId: ME, roles: [role] }, officerId).allowed, expected);
      });
    }
  }
  it('an officer who is also a supervisor reviews others, not themselves', () => {
    const member = { userId: ME, roles: ['rvr_officer', 'supervisor'] as Role[] };
    assert.equal(mayReviewConsultation(member, OTHER).allowed, true);
    const own = mayReviewConsultation(member, ME);
    assert.equal(own.allowed ? 'allowed' : own.refusal, 'own_review');
  });
});
