import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barLength, escapeXml, horizontalBarChart } from './chart-svg.js';

const widths = (svg: string) => [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));

describe('horizontalBarChart', () => {
  it('names itself for screen readers with a title and a description', () => {
    const svg = horizontalBarChart({ id: 'funnel', title: 'From call to video', description: '4 calls, 2 connected', bars: [{ label: 'A', value: 1 }] });
    assert.match(svg, /^<svg [^>]*role="img"[^>]*aria-labelledby="funnel-title funnel-desc"/);
    assert.match(svg, /<title id="funnel-title">From call to video<\/title>/);
    assert.match(svg, /<desc id="funnel-desc">4 calls, 2 connected<\/desc>/);
  });

  it('escapes every piece of text it is given', () => {
    const svg = horizontalBarChart({
      id: 'x"><script>',
      title: '<script>alert(1)</script>',
      description: 'Tom & "Jerry"',
      bars: [{ label: "<img src=x onerror='1'>", value: 2, valueLabel: '</text><script>' }],
    });
    assert.doesNotMatch(svg, /<script|<img|onerror='/);
    assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(svg, /Tom &amp; &quot;Jerry&quot;/);
    assert.equal(escapeXml(`<>&"'`), '&lt;&gt;&amp;&quot;&#39;');
  });

  it('draws bars in proportion to their values, the largest filling the plot', () => {
    // width 600 − label 150 − value 130 = 320 px of plot: 10 → 320, 5 → 160, 2.5 → 80, 0 → 0
    const svg = horizontalBarChart({
      id: 'p',
      title: 't',
      description: 'd',
      bars: [
        { label: 'a', value: 10 },
        { label: 'b', value: 5 },
        { label: 'c', value: 2.5 },
        { label: 'd', value: 0 },
      ],
    });
    assert.deepEqual(widths(svg), [320, 160, 80, 0]);
  });

  it('draws empty bars, not NaN, when every value is zero or there are no bars', () => {
    const zeros = horizontalBarChart({ id: 'z', title: 't', description: 'd', bars: [{ label: 'a', value: 0 }] });
    assert.deepEqual(widths(zeros), [0]);
    assert.doesNotMatch(zeros, /NaN|Infinity/);
    const none = horizontalBarChart({ id: 'n', title: 't', description: 'd', bars: [] });
    assert.doesNotMatch(none, /NaN|Infinity/);
  });

  it('barLength never exceeds the plot nor goes below zero', () => {
    assert.equal(barLength(5, 10, 100), 50);
    assert.equal(barLength(-1, 10, 100), 0);
    assert.equal(barLength(20, 10, 100), 100);
    assert.equal(barLength(1, 0, 100), 0);
  });
});
