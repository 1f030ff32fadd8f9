import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCsv } from '../../test/support/csv.js';
import { csvCell, csvLine } from './csv.js';

describe('CSV cells (formula injection safe)', () => {
  it('neutralises text that a spreadsheet would run as a formula', () => {
    assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-1+2'), "'-1+2");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('\tx'), `'\tx`);
  });

  it('writes numbers, booleans and empty values as data', () => {
    assert.equal(csvCell(-12), '-12');
    assert.equal(csvCell(3.5), '3.5');
    assert.equal(csvCell(Number.NaN), '');
    assert.equal(csvCell(true), 'true');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(undefined), '');
    assert.equal(csvCell('plain'), 'plain');
  });

  it('quotes commas, quotes and line breaks, and reads back the same cells', () => {
    assert.equal(csvLine(['a,b', 'say "hi"', 'two\nlines', 7]), '"a,b","say ""hi""","two\nlines",7\r\n');
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), (cells) => {
        const [read] = parseCsv(csvLine(cells));
        assert.deepEqual(
          read,
          cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)),
        );
      }),
    );
  });
});
