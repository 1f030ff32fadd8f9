import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import { translator, type Language } from '../../platform/i18n/i18n.js';
import type { CallConfig } from '../../config.js';
import { lockOpenCall, recordCallEvent, type CallDeps, type LinkSession } from './call.service.js';

/** The force's name as the victim reads it in their language (FORCE_NAME or FORCE_NAME_CY). */
export function forceNameIn(config: Pick<CallConfig, 'forceName' | 'forceNameCy'>, language: Language): string {
  return language === 'cy' ? config.forceNameCy : config.forceName;
}

/**
 * The words shown beside the consent boxes, in the page's language: stored exactly as shown, with that language
 * (RVR-04, RVR-12 overt recording; issue 17 §2). The words are the message catalog's `consent.wording`.
 */
export function consentWording(config: Pick<CallConfig, 'forceName' | 'forceNameCy'>, language: Language = 'en'): string {
  return translator(language)('consent.wording', { forceName: forceNameIn(config, language) });
}

/** A link-holder's consent to the video call and its recording, stored with the words shown (RVR-04, RVR-12). */
export class CallConsentService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'config' | 'now'>) {}

  private get data() {
    return this.deps.data;
  }

  /** `language` is the language the consent page was shown in: the wording is stored in it, with it. */
  async giveConsent(
    context: RequestContext,
    session: Pick<LinkSession, 'participant' | 'call'>,
    input: { video: boolean; recording: boolean; language?: Language },
  ): Promise<void> {
    const language = input.language ?? 'en';
    if (!input.video || !input.recording) {
      throw new ValidationError(translator(language)('consent.error'), {
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
        wording: consentWording(this.deps.config, language),
        language,
        givenAt: at,
      });
      if (session.participant.inviteId) await tx.calls.stampInvite(session.participant.inviteId, 'consentAt', at);
      await recordCallEvent(this.deps, tx, context, session.call.id, 'consent_given', { video: true, recording: true, language }, session.participant);
    });
  }
}
