import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  availableTransitions,
  CALL_INTERRUPTIBLE_STATES,
  CONSULTATION_STATES,
  decideTransition,
  TERMINAL_STATES,
  type ConsultationState,
  type TransitionActor,
} from './consultation-state.js';
import { ROLES } from './roles.js';

const ACTORS: readonly TransitionActor[] = [...ROLES, 'victim', 'system'];

// Written out independently of TRANSITIONS so that a change to the machine must be made twice, on purpose.
// from → to: [actors allowed, reason required]
const EXPECTED: Record<string, [TransitionActor[], boolean]> = {
  'triaged_eligible→queued': [['call_handler', 'supervisor', 'system'], false],
  'triaged_eligible→escalated_to_attendance': [['call_handler', 'supervisor', 'system'], true],
  'triaged_eligible→abandoned': [['call_handler', 'supervisor'], true],
  // Issue 17 §4: the call handler books a video appointment at triage when the caller cannot talk now.
  'triaged_eligible→appointment_booked': [['call_handler', 'supervisor'], false],
  'triaged_ineligible→triaged_eligible': [['supervisor'], true],
  'triaged_ineligible→escalated_to_attendance': [['call_handler', 'supervisor'], false],
  'queued→accepted': [['rvr_officer'], false],
  'queued→abandoned': [['call_handler', 'supervisor', 'system'], true],
  'queued→escalated_to_attendance': [['call_handler', 'supervisor'], true],
  'accepted→queued': [['rvr_officer', 'supervisor'], true],
  'accepted→invited': [['rvr_officer', 'system'], false],
  'accepted→abandoned': [['rvr_officer', 'supervisor', 'system'], true],
  'accepted→escalated_to_attendance': [['rvr_officer', 'supervisor'], true],
  'invited→victim_joined': [['victim', 'system'], false],
  'invited→abandoned': [['rvr_officer', 'supervisor', 'system'], true],
  'invited→escalated_to_attendance': [['rvr_officer', 'supervisor'], true],
  'victim_joined→connected': [['system'], false],
  'victim_joined→invited': [['rvr_officer', 'system'], false],
  'victim_joined→abandoned': [['rvr_officer', 'supervisor', 'system'], true],
  'victim_joined→escalated_to_attendance': [['rvr_officer', 'supervisor'], true],
  'connected→completed': [['rvr_officer', 'supervisor'], false],
  'connected→invited': [['rvr_officer', 'system'], false],
  'connected→abandoned': [['rvr_officer', 'supervisor', 'system'], true],
  'connected→escalated_to_attendance': [['rvr_officer', 'supervisor'], true],
  // Issue 18: a call that stopped without the officer ending it never leaves the consultation stuck.
  'invited→call_interrupted': [['system'], true],
  'victim_joined→call_interrupted': [['system'], true],
  'connected→call_interrupted': [['system'], true],
  'call_interrupted→invited': [['system'], false],
  'call_interrupted→completed': [['rvr_officer', 'supervisor'], false],
  'call_interrupted→abandoned': [['rvr_officer', 'supervisor', 'system'], true],
  'call_interrupted→escalated_to_attendance': [['rvr_officer', 'supervisor'], true],
  // Issue 17 §4 (policy 4.0): a video appointment for later; the platform texts the link shortly before.
  'accepted→appointment_booked': [['rvr_officer'], false],
  'appointment_booked→invited': [['system'], false],
  'appointment_booked→queued': [['rvr_officer', 'supervisor'], true],
  'appointment_booked→abandoned': [['rvr_officer', 'supervisor', 'system'], true],
  'appointment_booked→escalated_to_attendance': [['rvr_officer', 'supervisor'], true],
};

describe('consultation state machine', () => {
  for (const from of CONSULTATION_STATES) {
    for (const to of CONSULTATION_STATES) {
      const expected = EXPECTED[`${from}→${to}`];
      for (const actor of ACTORS) {
        const mayMove = expected?.[0].includes(actor) ?? false;
        it(`${from} → ${to} by ${actor}: ${mayMove ? 'allowed' : 'refused with a reason'}`, () => {
          const withReason = decideTransition(from, to, [actor], 'because the test says so');
          if (mayMove) {
            assert.deepEqual(withReason, { allowed: true });
            if (expected![1]) {
              const without = decideTransition(from, to, [actor], '   ');
              assert.equal(without.allowed, false);
              assert.match((without as { reason: string }).reason, /Give a reason/);
            } else {
              assert.deepEqual(decideTransition(from, to, [actor]), { allowed: true });
            }
          } else {
            assert.equal(withReason.allowed, false);
            assert.ok((withReason as { reason: string }).reason.length > 10, 'a refusal always says why');
          }
        });
      }
    }
  }

  it('terminal states refuse everything and say the consultation has ended', () => {
    for (const from of TERMINAL_STATES) {
      for (const to of CONSULTATION_STATES) {
        const decision = decideTransition(from, to, ACTORS);
        assert.equal(decision.allowed, false);
        assert.match((decision as { reason: string }).reason, /cannot change any more/);
      }
    }
  });

  it('a user with several roles may make a transition any one of them allows', () => {
    assert.deepEqual(decideTransition('queued', 'accepted', ['call_handler', 'rvr_officer']), { allowed: true });
  });

  it('offers exactly the transitions the actor may make', () => {
    const offered = availableTransitions('connected', ['rvr_officer'])
      .map((t) => t.to)
      .sort();
    assert.deepEqual(offered, ['abandoned', 'completed', 'escalated_to_attendance', 'invited']);
    assert.deepEqual(availableTransitions('completed', ACTORS), []);
  });

  it('issue 18: an interrupted call leaves the officer a way on: resume, complete, escalate or abandon', () => {
    const offered = availableTransitions('call_interrupted', ['rvr_officer'])
      .map((t) => t.to)
      .sort();
    // Resuming (back to invited) is the "Resume the call" button, which opens the new call: not a bare state change.
    assert.deepEqual(offered, ['abandoned', 'completed', 'escalated_to_attendance']);
  });

  it('property: from every state a live call can be in, whatever happens to the media, the officer can still end the consultation', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CALL_INTERRUPTIBLE_STATES),
        fc.array(fc.constantFrom<ConsultationState>('call_interrupted', 'invited', 'victim_joined', 'connected'), { maxLength: 12 }),
        (start, attempts) => {
          // Apply whatever sequence of system/victim/officer moves the machine allows: never a state with no way out.
          let state: ConsultationState = start;
          for (const to of attempts) {
            if (decideTransition(state, to, ['system', 'victim', 'rvr_officer'], 'media event').allowed) state = to;
          }
          const ways = availableTransitions(state, ['rvr_officer']).map((t) => t.to);
          return ways.some((to) => TERMINAL_STATES.includes(to));
        },
      ),
    );
  });

  it('property: issue 17 §4: only the control room (or a supervisor) books an appointment from triage, and it always has a way on', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONSULTATION_STATES), fc.constantFrom(...ACTORS), (from, actor) => {
        const booked = decideTransition(from, 'appointment_booked', [actor]).allowed;
        const expected =
          (from === 'triaged_eligible' && (actor === 'call_handler' || actor === 'supervisor')) || (from === 'accepted' && actor === 'rvr_officer');
        return booked === expected;
      }),
    );
    // Booked at triage, nobody holds it yet: the platform can still open the call, and staff can end it or queue it.
    const ways = availableTransitions('appointment_booked', ['system', 'supervisor']).map((t) => t.to);
    assert.ok(ways.includes('invited') && ways.includes('queued') && ways.some((to) => TERMINAL_STATES.includes(to)));
  });

  it('property: a call can stop from any live-call state, only by the system and only with a reason', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONSULTATION_STATES), fc.constantFrom(...ACTORS), fc.string(), (from, actor, reason) => {
        const decision = decideTransition(from, 'call_interrupted', [actor], reason);
        const expected = CALL_INTERRUPTIBLE_STATES.includes(from) && actor === 'system' && reason.trim().length > 0;
        return decision.allowed === expected;
      }),
    );
  });
});
