import type { Page } from 'playwright-core';
import type { Services } from '../../src/composition.js';
import { DEMO_PASSWORD } from '../../src/features/demo/demo-seeder.js';
import { allowRoundTheClock, callInput, contextFor } from '../../test/support/test-app.js';
import { evaluateWithin, launchParticipant, type Participant, type RunningServer } from './harness.js';
import { SignInPage } from './pages.js';

export interface CallStats {
  sendKbps: number;
  receiveKbps: number;
  packetsLost: number;
  packetsReceived: number;
  framesPerSecond: number;
  framesDecoded: number;
  sendWidth: number;
  sendHeight: number;
  audioReceived: number;
  framesDropped: number;
  rttMs: number | undefined;
  availableOutgoingKbps: number | undefined;
  loss: number | undefined;
  audioConcealed: number;
}

/** A queued eligible call accepted by the demo officer, ready for a video call. */
export async function acceptedConsultation(services: Services, options: { mobile?: string } = {}): Promise<string> {
  await allowRoundTheClock(services);
  const handler = (await services.data.repos.users.findByUsername('handler'))!;
  const officer = (await services.data.repos.users.findByUsername('officer'))!;
  const triaged = await services.triage.intake(contextFor(handler), callInput({ mobile: options.mobile ?? '07700 900123' }), 'test');
  const consultationId = triaged.consultation.id;
  await services.consultations.transition(contextFor(officer), consultationId, 'accepted');
  return consultationId;
}

export async function officerOnCallPage(server: RunningServer, consultationId: string): Promise<Participant> {
  const officer = await launchParticipant({ fakeMedia: true });
  await new SignInPage(officer.page).signInAndAcknowledge(server.baseUrl, 'officer', DEMO_PASSWORD);
  await officer.page.goto(`${server.baseUrl}/consultations/${consultationId}/call`);
  return officer;
}

/** The newest link in the development outbox. */
export function latestLink(services: Services): string {
  const message = services.smsOutbox!.list()[0];
  if (!message) throw new Error('No text in the outbox');
  return /https?:\/\/\S+/.exec(message.body)![0];
}

export async function victimJoins(link: string, options: { participant?: Participant } = {}): Promise<Participant> {
  const victim = options.participant ?? (await launchParticipant({ fakeMedia: true }));
  await victim.page.goto(link);
  await victim.page.getByLabel('I agree to the video call').check();
  await victim.page.getByLabel('I understand the call is recorded').check();
  await victim.page.getByTestId('consent-continue').click();
  await victim.page.waitForSelector('#rvr-call');
  return victim;
}

export function callStats(page: Page): Promise<CallStats | undefined> {
  // Undefined until the page's call script has started.
  return evaluateWithin(page, 5000, () => (window as unknown as { rvrCall?: { readStats(): Promise<CallStats | undefined> } }).rvrCall?.readStats());
}

/** Waits until the page decodes remote video and the decoded frame count is still rising. */
export async function waitForDecodedVideo(page: Page, timeoutMs = 20_000): Promise<CallStats> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  for (;;) {
    const stats = await callStats(page).catch((error: unknown) => {
      // The page navigated while it was read (a call page reloaded, or replaced by the resumed call's): no stats this
      // round; the count starts again from the new page.
      if (error instanceof Error && /Execution context was destroyed|navigation/i.test(error.message)) return undefined;
      throw error;
    });
    if (stats && stats.framesDecoded > 0 && stats.framesDecoded > last && last > 0) return stats;
    last = stats?.framesDecoded ?? 0;
    if (Date.now() > deadline) throw new Error(`no rising decoded frames within ${timeoutMs} ms (last ${JSON.stringify(stats)})`);
    await page.waitForTimeout(500);
  }
}

/** An accepted consultation, its officer on the call page, and a link texted to the victim (read from the outbox). */
export async function officerSendsLink(server: RunningServer): Promise<{ consultationId: string; officer: Participant; link: string }> {
  const consultationId = await acceptedConsultation(server.runtime.services);
  const officer = await officerOnCallPage(server, consultationId);
  await officer.page.getByTestId('send-link').click();
  await officer.page.locator('[data-invite-state="sent"]').waitFor({ timeout: 15_000 });
  return { consultationId, officer, link: latestLink(server.runtime.services) };
}

/** The officer ends the call (confirming the prompt). */
export async function officerEndsCall(officer: Participant): Promise<void> {
  officer.page.once('dialog', (dialog) => void dialog.accept());
  await officer.page.getByTestId('end-call').click();
}
