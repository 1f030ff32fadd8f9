import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNodeVersion, SUPPORTED_NODE_MAJOR } from './node-version.js';

describe('Node.js version check at start-up', () => {
  it('accepts the supported LTS line', () => {
    const check = checkNodeVersion(`v${SUPPORTED_NODE_MAJOR}.21.0`);
    assert.equal(check.supported, true);
    assert.match(check.message, /running on Node\.js v24\.21\.0$/);
  });

  it('names the fix when an older or newer Node runs it', () => {
    for (const version of ['v20.20.2', 'v22.12.0', 'v26.0.0', 'garbage']) {
      const check = checkNodeVersion(version);
      assert.equal(check.supported, false, version);
      assert.match(check.message, /npm start/);
    }
  });

  it('this test run itself is on the pinned runtime (npm test puts node_modules/.bin first)', () => {
    assert.equal(checkNodeVersion().supported, true, `npm test ran ${process.version}`);
  });
});
