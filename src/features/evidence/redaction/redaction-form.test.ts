import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MediaFacts } from '../../../platform/media/redaction.js';
import { redactionFilterGraph } from '../../../platform/media/redaction.js';
import { parseRedactionForm, parseTime, planToForm } from './redaction-form.js';

const video: MediaFacts = { media: 'video', width: 640, height: 480, durationSeconds: 60, startSeconds: 0, hasVideo: true, hasAudio: true };
const photo: MediaFacts = { media: 'image', width: 320, height: 240, startSeconds: 0, hasVideo: true, hasAudio: false };
const purpose = 'Disclosure to the defence';

describe('the redaction form (EVD-09, issue 15 §2)', () => {
  it('reads times as seconds or minutes:seconds', () => {
    assert.equal(parseTime('75.5'), 75.5);
    assert.equal(parseTime('1:15.5'), 75.5);
    assert.equal(parseTime('0:01:15'), 75);
    assert.equal(parseTime(''), undefined);
    assert.ok(Number.isNaN(parseTime('1:75')!));
    assert.ok(Number.isNaN(parseTime('soon')!));
  });

  it('accepts a box, a mute, a bleep and a cut within the recording, and keeps each reason', () => {
    const parsed = parseRedactionForm(
      {
        purpose,
        r0_start: '1',
        r0_end: '0:02',
        r0_x: '10',
        r0_y: '20',
        r0_w: '100',
        r0_h: '50',
        r0_effect: 'black',
        r0_reason: 'Child in view',
        a0_start: '3',
        a0_end: '4',
        a0_effect: 'bleep',
        a0_reason: 'Name said',
        c0_start: '50',
        c0_end: '60',
        c0_reason: 'Unrelated',
      },
      video,
    );
    assert.deepEqual(parsed.errors, {});
    assert.deepEqual(parsed.plan.regions, [{ startSeconds: 1, endSeconds: 2, x: 10, y: 20, width: 100, height: 50, effect: 'black', reason: 'Child in view' }]);
    assert.deepEqual(parsed.plan.audio, [{ startSeconds: 3, endSeconds: 4, effect: 'bleep', reason: 'Name said' }]);
    assert.deepEqual(parsed.plan.cuts, [{ startSeconds: 50, endSeconds: 60, reason: 'Unrelated' }]);
    assert.deepEqual(parseRedactionForm(planToForm(parsed.plan, purpose), video).plan, parsed.plan, 'a stored plan reads back the same');
  });

  it('puts each error beside its field: box outside the frame, end before start, ranges beyond the length, missing reason', () => {
    const { errors } = parseRedactionForm(
      {
        purpose,
        r0_start: '1',
        r0_end: '2',
        r0_x: '600',
        r0_y: '0',
        r0_w: '100',
        r0_h: '10',
        r0_reason: 'Child in view',
        r1_start: '1',
        r1_end: '2',
        r1_x: '0',
        r1_y: '470',
        r1_w: '10',
        r1_h: '20',
        r1_reason: 'Child in view',
        a0_start: '5',
        a0_end: '4',
        a0_reason: 'Name said',
        c0_start: '61',
        c0_end: '62',
        c0_reason: 'Unrelated',
        c1_start: '10',
        c1_end: '70',
        c1_reason: 'x',
      },
      video,
    );
    assert.match(errors.r0_w!, /outside the frame.*640/);
    assert.match(errors.r1_h!, /outside the frame.*480/);
    assert.match(errors.a0_end!, /after the start/);
    assert.match(errors.c0_start!, /60\.00 seconds long/);
    assert.match(errors.c1_end!, /end at 60\.00 or before/);
    assert.match(errors.c1_reason!, /Say why/);
  });

  it('asks for something to redact and for the purpose', () => {
    assert.match(parseRedactionForm({ purpose }, video).errors.redactions!, /at least one/);
    assert.match(parseRedactionForm({}, video).errors.purpose!, /what this copy is for/);
  });

  it('refuses cuts that would remove everything, or overlap', () => {
    const all = parseRedactionForm({ purpose, c0_start: '0', c0_end: '60', c0_reason: 'Everything' }, video);
    assert.match(all.errors.cuts!, /whole recording/);
    const overlap = parseRedactionForm({ purpose, c0_start: '1', c0_end: '5', c0_reason: 'One', c1_start: '4', c1_end: '6', c1_reason: 'Two' }, video);
    assert.match(overlap.errors.cuts!, /overlap/);
  });

  it('a photo takes boxes only, with no times', () => {
    const parsed = parseRedactionForm(
      { purpose, r0_x: '0', r0_y: '0', r0_w: '320', r0_h: '240', r0_reason: 'Face', a0_start: '1', a0_end: '2', a0_reason: 'ignored' },
      photo,
    );
    assert.deepEqual(parsed.errors, {});
    assert.equal(parsed.plan.regions.length, 1);
    assert.equal(parsed.plan.audio.length, 0);
  });
});

describe('the ffmpeg filter graph of a plan', () => {
  const plan = {
    media: 'video' as const,
    regions: [{ startSeconds: 1, endSeconds: 2, x: 11, y: 21, width: 99, height: 49, effect: 'black' as const, reason: 'r' }],
    audio: [{ startSeconds: 3, endSeconds: 4, effect: 'mute' as const, reason: 'a' }],
    cuts: [{ startSeconds: 10, endSeconds: 12, reason: 'c' }],
  };

  it('draws the box only in its range (shifted by the file start), on even pixels that cover what was marked', () => {
    const { graph } = redactionFilterGraph(plan, { ...video, startSeconds: 0.5 });
    assert.match(graph, /drawbox=x=10:y=20:w=100:h=50:color=black:t=fill:enable='between\(t,1\.5,2\.5\)'/);
    assert.match(graph, /volume=0:enable='between\(t,3\.5,4\.5\)'/);
    assert.match(graph, /select='not\(between\(t,10\.5,12\.5\)\)',setpts='PTS-\(gte\(T,12\.5\)\*2\)\/TB'/);
  });

  it('for a still, draws only the boxes of that moment and no time condition', () => {
    assert.doesNotMatch(redactionFilterGraph(plan, video, { at: 5 }).graph, /drawbox/);
    assert.match(redactionFilterGraph(plan, video, { at: 1.5 }).graph, /drawbox=[^;]*t=fill\[v1\]/);
  });
});
