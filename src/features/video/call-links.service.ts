import type { Repositories } from '../../data-access.js';
import type { RequestContext } from '../../platform/context.js';
import { systemContext } from '../../platform/context.js';
import { consentCovers } from '../../domain/call-consent.js';
import { AppError, ValidationError } from '../../platform/errors.js';
import { RateLimitedLog } from '../../platform/logging/rate-limited-log.js';
import { SmsDeliveryError } from '../../platform/sms/sms-sender.js';
import { isLanguage, translator, type Language } from '../../platform/i18n/i18n.js';
import { assertAssignedOfficer, lockOpenCall, recordCallEvent, type CallDeps, type LinkSession } from './call.service.js';
import { hashToken, isWellFormedToken, newSecretToken } from './call-tokens.js';
import type { InviteRow, ParticipantRow } from './calls.repository.js';

export type LinkRole = 'victim' | 'interpreter';
export type LinkRefusal = 'malformed' | 'unknown' | 'used' | 'expired' | 'revoked' | 'ended';

/**
 * What each refused link tells the person holding it (a page, not an error code): the message catalogs'
 * `refusal.<reason>.title` and `.advice`, in the page's language (issue 17 §2). The error's own message is the English title.
 */
export const LINK_REFUSALS: Record<LinkRefusal, { title: string; advice: string }> = Object.fromEntries(
  (['malformed', 'unknown', 'used', 'expired', 'revoked', 'ended'] as const).map((refusal) => [
    refusal,
    { title: translator('en')(`refusal.${refusal}.title`), advice: translator('en')(`refusal.${refusal}.advice`) },
  ]),
) as Record<LinkRefusal, { title: string; advice: string }>;

export class LinkRefusedError extends AppError {
  constructor(readonly refusal: LinkRefusal) {
    super(refusal === 'malformed' || refusal === 'unknown' ? 404 : 410, LINK_REFUSALS[refusal].title);
  }
}

/**
 * The call's links: created for the victim or an interpreter and texted, revoked, opened once for a call-scoped
 * session (the cookie), and the session resolved on each request. Every refusal of a real link is audited.
 */
export class CallLinksService {
  /** Unknown and malformed links: a stranger can send any number, so they go to the log, rate-limited, never to the audit chain. */
  private readonly strangerLinks: RateLimitedLog;

  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'consultations' | 'sms' | 'config' | 'publicBaseUrl' | 'log' | 'now' | 'liveCallGate'>) {
    this.strangerLinks = new RateLimitedLog(deps.log, 'call link refused');
  }

  private get data() {
    return this.deps.data;
  }

  /**
   * Creates a link for the victim (to the number the call handler took) or an interpreter (to the number
   * given), revoking any earlier live link for that role, and texts it. The text goes after the commit: a
   * provider failure leaves the link on record with the error, for the officer to resend.
   */
  async sendInvite(
    context: RequestContext,
    callId: string,
    input: { role: LinkRole; phone?: string; label?: string },
  ): Promise<{ invite: InviteRow; link: string }> {
    const token = newSecretToken();
    const at = this.deps.now();
    const { invite, phone } = await this.data.transaction(async (tx) => {
      const call = await lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      assertAssignedOfficer(context, consultation, 'call.invite');
      // DP-13: no link is sent without an approved, in-date DPIA (the gate is on in production).
      await this.deps.liveCallGate?.(tx);
      let phone: string;
      if (input.role === 'victim') {
        phone = (await tx.incidents.findById(consultation.incidentId))!.callerPhone;
      } else {
        if (!input.phone) throw new ValidationError('Enter the interpreter’s mobile number', { phone: 'Enter the interpreter’s mobile number' });
        phone = input.phone;
      }
      // Issue 17 §2: the victim's text goes in the language chosen at triage; an interpreter's in English.
      const language: Language = input.role === 'victim' && isLanguage(consultation.language) ? consultation.language : 'en';
      const revoked = await tx.calls.revokeInvites(call.id, input.role, at, 'replaced by a new link');
      const invite = await tx.calls.createInvite({
        callId: call.id,
        role: input.role,
        label: input.label?.trim() || null,
        tokenHash: hashToken(token),
        expiresAt: new Date(at.getTime() + this.deps.config.inviteTtlMinutes * 60_000),
        createdBy: context.actor.type === 'user' ? context.actor.userId : null,
        language,
      });
      await recordCallEvent(this.deps, tx, context, call.id, 'link_created', { inviteId: invite.id, role: input.role, revoked, language });
      if (input.role === 'victim' && consultation.state === 'accepted') {
        await this.deps.consultations.applyTransition(tx, context, consultation.id, 'invited');
      }
      return { invite, phone };
    });
    const link = `${this.deps.publicBaseUrl}/v/${token}`;
    try {
      const text = invite.language === 'cy' ? this.deps.config.inviteTextCy : this.deps.config.inviteText;
      const receipt = await this.deps.sms.send({ to: phone, body: text.replace('{link}', link), reference: invite.id });
      await this.data.transaction(async (tx) => {
        await tx.calls.markInviteSent(invite.id, this.deps.now(), receipt.provider, receipt.providerMessageId);
        await recordCallEvent(this.deps, tx, context, callId, 'link_sent', { inviteId: invite.id, role: input.role, provider: receipt.provider });
      });
    } catch (error) {
      const reason = error instanceof SmsDeliveryError ? error.message : 'The text service could not be reached';
      await this.data.transaction(async (tx) => {
        await tx.calls.markInviteSendFailed(invite.id, reason);
        await recordCallEvent(this.deps, tx, context, callId, 'link_send_failed', { inviteId: invite.id, role: input.role, reason });
      });
      throw new AppError(502, `The text was not sent: ${reason}. Try "Send link" again in a moment.`);
    }
    return { invite: (await this.data.repos.calls.findInvite(invite.id))!, link };
  }

  /**
   * Issue 17 §4: a single-use victim link for the call of an appointment, made when the victim presses "Join" on the
   * appointment page in its window (in that transaction), replacing any earlier one. Returns the link's path; it is
   * never texted (the appointment page redirects to it at once).
   */
  async issueAppointmentLink(tx: Repositories, context: RequestContext, callId: string, expiresAt: Date): Promise<string> {
    const token = newSecretToken();
    const call = await lockOpenCall(tx, callId);
    const revoked = await tx.calls.revokeInvites(call.id, 'victim', this.deps.now(), 'replaced by a new link');
    const invite = await tx.calls.createInvite({ callId: call.id, role: 'victim', label: null, tokenHash: hashToken(token), expiresAt, createdBy: null });
    await recordCallEvent(this.deps, tx, context, call.id, 'link_created', { inviteId: invite.id, role: 'victim', revoked, appointment: true });
    return `/v/${token}`;
  }

  async revokeInvites(context: RequestContext, callId: string, role: LinkRole): Promise<void> {
    await this.data.transaction(async (tx) => {
      const call = await lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      assertAssignedOfficer(context, consultation, 'call.revoke_invites');
      const revoked = await tx.calls.revokeInvites(call.id, role, this.deps.now(), 'revoked by the officer');
      await recordCallEvent(this.deps, tx, context, call.id, 'link_revoked', { role, revoked });
    });
  }

  /**
   * Opens a link once: the token is swapped for a call-scoped session secret (the cookie). Every refusal
   * is logged with its reason (never the token): a refusal of a real link (used, expired, revoked, ended) is
   * audited against its call; an unknown or malformed token concerns no call and goes to the application log.
   */
  /** `language` is the link's (the language its text was sent in): the pages' default until the person switches. */
  async redeemLink(
    token: string,
    clientIp: string | undefined,
    correlationId: string,
  ): Promise<{ sessionSecret: string; participant: ParticipantRow; language: Language }> {
    const context: RequestContext = { ...systemContext('link', correlationId), clientIp };
    if (!isWellFormedToken(token)) return this.refuseLink(context, 'malformed', undefined);
    const sessionSecret = newSecretToken();
    const outcome = await this.data.transaction(async (tx) => {
      const invite = await tx.calls.findInviteByTokenHash(hashToken(token));
      if (!invite) return { refusal: 'unknown' as const, invite: undefined };
      const call = await tx.calls.lock(invite.callId);
      const at = this.deps.now();
      const refusal: LinkRefusal | undefined =
        call?.state !== 'open' ? 'ended' : invite.revokedAt ? 'revoked' : invite.openedAt ? 'used' : invite.expiresAt <= at ? 'expired' : undefined;
      if (refusal) return { refusal, invite };
      if (!(await tx.calls.redeemInvite(invite.id, at))) return { refusal: 'used' as const, invite };
      const participant = await tx.calls.createParticipant({
        callId: invite.callId,
        role: invite.role,
        inviteId: invite.id,
        sessionHash: hashToken(sessionSecret),
        sessionExpiresAt: new Date(at.getTime() + this.deps.config.maxCallMinutes * 60_000),
      });
      const linkContext: RequestContext = { ...context, actor: { type: 'link', participantId: participant.id, role: invite.role as LinkRole } };
      await recordCallEvent(this.deps, tx, linkContext, invite.callId, 'link_opened', { inviteId: invite.id }, participant);
      return { refusal: undefined, invite, participant };
    });
    if (outcome.refusal) return this.refuseLink(context, outcome.refusal, outcome.invite);
    return { sessionSecret, participant: outcome.participant, language: isLanguage(outcome.invite.language) ? outcome.invite.language : 'en' };
  }

  private async refuseLink(context: RequestContext, refusal: LinkRefusal, invite: InviteRow | undefined): Promise<never> {
    if (!invite) {
      this.strangerLinks.write({ refusal, correlationId: context.correlationId });
      throw new LinkRefusedError(refusal);
    }
    await this.data.transaction((tx) =>
      this.deps.audit.record(tx.audit, context, {
        what: 'call.link_refused',
        subject: `call:${invite.callId}`,
        details: { refusal, inviteId: invite.id },
      }),
    );
    throw new LinkRefusedError(refusal);
  }

  /** The link-holder behind a call session cookie, while the call is open and the session unexpired. */
  async resolveLinkSession(secret: string | undefined): Promise<LinkSession | undefined> {
    if (!secret || !isWellFormedToken(secret)) return undefined;
    const participant = await this.data.repos.calls.findParticipantBySessionHash(hashToken(secret));
    if (!participant?.sessionExpiresAt || participant.sessionExpiresAt <= this.deps.now()) return undefined;
    const call = await this.data.repos.calls.findById(participant.callId);
    if (call?.state !== 'open') return undefined;
    const consent = await this.data.repos.calls.findConsent(call.id, participant.id);
    return { participant, call, consented: consentCovers(consent, { callId: call.id, participantId: participant.id }) };
  }

  linkContext(session: Pick<LinkSession, 'participant'>, correlationId: string, clientIp?: string): RequestContext {
    return { actor: { type: 'link', participantId: session.participant.id, role: session.participant.role as LinkRole }, correlationId, clientIp };
  }
}
