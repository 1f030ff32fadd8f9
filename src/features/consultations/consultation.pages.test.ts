import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ConsultationState } from '../../domain/consultation-state.js';
import { staffTransitionOptions } from '../../domain/ownership.js';
import type { Services } from '../../composition.js';
import { DEFAULT_TRIAGE_SETTINGS } from '../control-room/triage.service.js';
import type { RequestContext } from '../../platform/context.js';
import { appWithAllRoutes, type AppWithAllRoutes, type FakePrincipal } from '../../../test/support/app-with-all-routes.js';
import { nextSteps } from './next-steps.js';

// Issue 17 §6: after Accept the officer sees the next real action (open the call and send the link), not the state
// machine's "Move to queued / Move to invited". Page tests over fake services, with the domain's real option rules.
const id = '6f1c1d9e-8a0e-4c43-9d0c-5d8a2c1b7e01';

async function consultationPage(principal: FakePrincipal & { kind: 'staff' }, state: ConsultationState, officerIsMe: boolean) {
  let myId = '';
  const fake = await appWithAllRoutes({
    principal,
    services: {
      consultations: {
        detail: (async (_id: string, context: RequestContext) => {
          myId = context.actor.type === 'user' ? context.actor.userId : '';
          const officerId = officerIsMe ? myId : '11111111-2222-4333-8444-555555555555';
          return {
            consultation: { id, reference: 'RVR-2026-000123', state, officerId, queuedAt: new Date(), interpreterRequired: false },
            incident: { cadReference: 'CAD-1', grade: 2, receivedAt: new Date() },
            events: [],
            options: staffTransitionOptions({ userId: myId, roles: principal.roles }, { state, officerId }),
            triage: undefined,
            officerName: 'Test officer',
          };
        }) as unknown as Services['consultations']['detail'],
        reassignmentChoices: async () => [],
      },
      triage: { currentSettings: async () => ({ version: 1, settings: DEFAULT_TRIAGE_SETTINGS }) },
      evaluation: { forConsultation: async () => undefined },
    },
  });
  return { fake, page: await fake.inject({ method: 'GET', url: `/consultations/${id}` }) };
}

const officer: FakePrincipal & { kind: 'staff' } = { kind: 'staff', roles: ['rvr_officer'], username: 'pc-fake' };

describe('the consultation page’s next steps (issue 17 §6), over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('after Accept: "Open the video call and send the link" first; hand back, route and abandon only under "Other changes"; no "Move to invited"', async () => {
    const shown = await consultationPage(officer, 'accepted', true);
    fake = shown.fake;
    const { body } = shown.page;
    assert.equal(shown.page.statusCode, 200);
    assert.doesNotMatch(body, /Move to/, 'no raw state buttons');
    assert.doesNotMatch(body, /id="transition-invited"/, 'invited only by sending the link');
    assert.match(body, /data-testid="open-call"[^>]*>Open the video call and send the link</);
    const details = body.indexOf('data-testid="other-changes"');
    assert.ok(details > body.indexOf('data-testid="open-call"'), 'the call comes first');
    for (const to of ['queued', 'escalated_to_attendance', 'abandoned']) {
      const form = body.indexOf(`id="transition-${to}"`);
      assert.ok(form > details, `${to} is behind "Other changes"`);
    }
    assert.match(body, />\s*Hand back to the queue\s*</);
    assert.match(body, />\s*Route to attendance\s*</);
    assert.match(body, /<label[^>]*for="reason-queued"[^>]*>\s*Reason to hand back to the queue/);
    // Each form still posts the CSRF token of the page.
    assert.match(body, /id="transition-queued"[\s\S]*?name="_csrf" value="[^"]+"/);
  });

  it('a queued consultation: the officer sees "Accept" as the button', async () => {
    const shown = await consultationPage(officer, 'queued', false);
    fake = shown.fake;
    assert.match(shown.page.body, /id="transition-accepted"[\s\S]*?>\s*Accept\s*</);
    assert.doesNotMatch(shown.page.body, /data-testid="other-changes"/);
    assert.doesNotMatch(shown.page.body, /Move to/);
  });

  it('a connected call: completing is a main step beside "Open the video call"', async () => {
    const shown = await consultationPage(officer, 'connected', true);
    fake = shown.fake;
    const { body } = shown.page;
    assert.match(body, /data-testid="open-call"[^>]*>Open the video call</);
    assert.ok(body.indexOf('id="transition-completed"') < body.indexOf('data-testid="other-changes"'));
    assert.doesNotMatch(body, /id="transition-invited"/);
  });
});

describe('nextSteps (issue 17 §6)', () => {
  it('never offers "invited", labels every other step as an action, and keeps only completion beside a call action', () => {
    const options = [
      { to: 'queued' as const, reasonRequired: true },
      { to: 'invited' as const, reasonRequired: false },
      { to: 'completed' as const, reasonRequired: false },
      { to: 'abandoned' as const, reasonRequired: true },
    ];
    const withCall = nextSteps('accepted', options, true);
    assert.deepEqual(
      withCall.main.map((s) => s.label),
      ['Complete the consultation'],
    );
    assert.deepEqual(
      withCall.other.map((s) => s.label),
      ['Hand back to the queue', 'Abandon'],
    );
    const without = nextSteps('triaged_eligible', [{ to: 'queued', reasonRequired: false }], false);
    assert.deepEqual(without, { main: [{ to: 'queued', reasonRequired: false, label: 'Queue for an RVR officer' }], other: [] });
  });
});
