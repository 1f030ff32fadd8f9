import type { ConsultationState } from '../../domain/consultation-state.js';

/** A transition the page offers, as the domain gives it (availableTransitions / staffTransitionOptions). */
export interface TransitionOption {
  to: ConsultationState;
  reasonRequired: boolean;
}

export interface NextStep extends TransitionOption {
  /** What the button says: the action in plain words, never "Move to <state>". */
  label: string;
}

/**
 * Issue 17 §6: the consultation page shows the next real action, not the state machine. Each transition a person may
 * take is named as the action it is. "invited" is never offered here: a consultation becomes invited only when the
 * link is actually texted (the call page's "Send link", CallLinksService.sendInvite), so a button that changed the
 * state without sending a text would mislead. The transition itself stays on the server (sendInvite, resume, tests).
 */
const LABELS: Partial<Record<ConsultationState, (from: ConsultationState) => string>> = {
  queued: (from) => (from === 'accepted' || from === 'appointment_booked' ? 'Hand back to the queue' : 'Queue for an RVR officer'),
  accepted: () => 'Accept',
  triaged_eligible: () => 'Make eligible for RVR',
  completed: () => 'Complete the consultation',
  escalated_to_attendance: () => 'Route to attendance',
  abandoned: () => 'Abandon',
};

/**
 * Splits the options into the steps shown as buttons and the "Other changes" kept behind a details element. With a
 * call to run (`hasCallAction`: the officer holds it, so "Open the video call" or "Resume the call" is the next
 * action), only completing stays beside it, and handing back, routing to attendance or abandoning go under "Other
 * changes"; without one (the queue, a call handler, a supervisor), every offered step is a button.
 */
export function nextSteps(from: ConsultationState, options: readonly TransitionOption[], hasCallAction: boolean): { main: NextStep[]; other: NextStep[] } {
  const steps = options.flatMap((option) => {
    const label = LABELS[option.to]?.(from);
    return label ? [{ ...option, label }] : [];
  });
  if (!hasCallAction) return { main: steps, other: [] };
  return {
    main: steps.filter((s) => s.to === 'completed'),
    other: steps.filter((s) => s.to !== 'completed'),
  };
}
