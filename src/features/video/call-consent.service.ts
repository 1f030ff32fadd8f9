import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import { lockOpenCall, recordCallEvent, type CallDeps, type LinkSession } from './call.service.js';

/** The words shown beside the consent boxes: stored exactly as shown (RVR-04, RVR-12 overt recording). */
export function consentWording(forceName: string): string {
  return (
    `I agree to a video call with an officer from ${forceName}. ` +
    'I understand the call, including video, sound and chat, is recorded on the police system and may be used as evidence.'
  );
}

/** A link-holder's consent to the video call and its recording, stored with the words shown (RVR-04, RVR-12). */
export class CallConsentService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'config' | 'now'>) {}

  private get data() {
    return this.deps.data;
  }

  async giveConsent(context: RequestContext, session: Pick<LinkSession, 'participant' | 'call'>, input: { video: boolean; recording: boolean }): Promise<void> {
    if (!input.video || !input.recording) {
      throw new ValidationError('To have the video call, tick both boxes. If you do not want a recorded video call, call 101 (999 in an emergency).', {
        consent: 'Tick both boxes to continue',
      });
    }
    await this.data.transaction(async (tx) => {
      await lockOpenCall(tx, session.call.id);
      const at = this.deps.now();
      await tx.calls.recordConsent({
        callId: session.call.id,
        participantId: session.participant.id,
        videoConsent: true,
        recordingConsent: true,
        wording: consentWording(this.deps.config.forceName),
        givenAt: at,
      });
      if (session.participant.inviteId) await tx.calls.stampInvite(session.participant.inviteId, 'consentAt', at);
      await recordCallEvent(this.deps, tx, context, session.call.id, 'consent_given', { video: true, recording: true }, session.participant);
    });
  }
}
