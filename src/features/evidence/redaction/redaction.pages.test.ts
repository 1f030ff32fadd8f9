import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { appWithAllRoutes, type AppWithAllRoutes, type FakePrincipal } from '../../../../test/support/app-with-all-routes.js';
import type { MediaFacts } from '../../../platform/media/redaction.js';

// The redaction form as the real route and template render it, over fake services (issue 15 §2).
const manager: FakePrincipal = { kind: 'staff', roles: ['evidence_manager'], username: 'em-fake' };
const itemId = '6f1c1d9e-8a0e-4c43-9d0c-5d8a2c1b7e01';
const item = { id: itemId, label: 'Recording of the victim, segment 1', mediaType: 'video/webm', kind: 'recording' };
const facts: MediaFacts = { media: 'video', width: 640, height: 360, durationSeconds: 90, startSeconds: 0, hasVideo: true, hasAudio: true };
const suggestions = [{ kind: 'child_present', label: 'Child in view or hearing', startSeconds: 12, endSeconds: 30 }];

describe('redaction form page, over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  const app = () => appWithAllRoutes({ principal: manager, services: { evidenceRedaction: { form: async () => ({ item, facts, suggestions }) } as never } });

  it('shows the still, numeric fields that work without the script, and the suggested ranges to start from', async () => {
    fake = await app();
    const page = await fake.inject({ method: 'GET', url: `/evidence/items/${itemId}/redactions/new?grant=1.abc` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /640 × 360 pixels/);
    assert.match(page.body, /<img src="\/evidence\/items\/[^"]+\/redactions\/still\?grant=1.abc&amp;t=0"/);
    for (const name of ['r0_start', 'r0_end', 'r0_x', 'r0_y', 'r0_w', 'r0_h', 'r0_reason', 'a0_start', 'c0_end', 'purpose'])
      assert.match(page.body, new RegExp(`name="${name}"`), `${name} is a plain field`);
    assert.match(page.body, /src="\/static\/js\/redaction-boxes.js"/);
    assert.match(page.body, /Child in view or hearing: 12 to 30 seconds/);
    assert.doesNotMatch(page.body, /id="r0_reason"[^>]*value="Child in view/, 'suggestions are offered, not applied');

    const accepted = await fake.inject({ method: 'GET', url: `/evidence/items/${itemId}/redactions/new?grant=1.abc&suggest=yes` });
    assert.match(accepted.body, /id="r0_start" name="r0_start" type="text" value="12"/);
    assert.match(accepted.body, /id="r0_end" name="r0_end" type="text" value="30"/);
    assert.match(accepted.body, /id="r0_w" name="r0_w" type="text" value="640"/);
    assert.match(accepted.body, /id="r0_reason" name="r0_reason" type="text" value="Child in view or hearing"/);
  });
});
