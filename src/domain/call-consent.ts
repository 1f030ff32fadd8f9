/**
 * A link-holder (the victim, an interpreter) takes part in a call only once they have agreed, on their own page,
 * to the video call and to its recording (policy 3.2, RVR-04, RVR-12, SC-3). The server enforces this: nothing of
 * theirs is joined, recorded or stored before it.
 */

/** What a stored consent says, as far as this rule needs. */
export interface GivenConsent {
  callId: string;
  participantId: string;
  videoConsent: boolean;
  recordingConsent: boolean;
}

/**
 * A consent counts only for the link session that gave it: the same participant, on the same call, agreeing to
 * both the video call and its recording. A consent of another participant (an earlier link of the same victim, the
 * interpreter) or of another call never stands in for it.
 */
export function consentCovers(consent: GivenConsent | undefined, session: { callId: string; participantId: string }): boolean {
  return (
    consent !== undefined &&
    consent.callId === session.callId &&
    consent.participantId === session.participantId &&
    consent.videoConsent &&
    consent.recordingConsent
  );
}

/** Roles that reach a call through a texted link, and so need their own consent. Staff do not. */
export const LINK_ROLES: readonly string[] = ['victim', 'interpreter'];

export function needsOwnConsent(role: string): boolean {
  return LINK_ROLES.includes(role);
}

/** How the server says "consent first" on each channel; the page script knows the close code. */
export const CONSENT_REQUIRED = {
  message: 'Before the call can start, agree to the video call and to it being recorded. Go back to the call page to do this.',
  /** The page that shows the consent step. */
  consentUrl: '/v/call',
  /** WebSocket application close code (4000–4999 are the application's own) and its reason. */
  closeCode: 4401,
  closeReason: 'consent-required',
} as const;
