import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { schemaColumns } from '../../platform/db/schema-columns.js';
import { PERSONAL_DATA_INVENTORY, renderInventoryMarkdown } from './personal-data-inventory.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function schemaTables(): Promise<Map<string, string[]>> {
  const tables = await schemaColumns(path.join(root, 'src'));
  assert.ok(tables.size >= 30, 'the schema files were found');
  return tables;
}

describe('the personal data inventory (issue 16 §2; RET-02, DP-05)', () => {
  it('RET-02/DP-05: classifies every column of every table, so a new column cannot be forgotten', async () => {
    const tables = await schemaTables();
    const unclassified: string[] = [];
    for (const [table, columns] of tables) {
      const entry = PERSONAL_DATA_INVENTORY.find((e) => e.table === table);
      for (const column of columns) if (!entry || !(column in entry.columns)) unclassified.push(`${table}.${column}`);
    }
    assert.deepEqual(
      unclassified,
      [],
      `These columns are not in src/features/dpo/personal-data-inventory.ts: ${unclassified.join(', ')}. Classify each (delete / null / blank / empty / anonymise, or keep with its lawful reason) and regenerate docs/personal-data-inventory.md.`,
    );
    const stale: string[] = [];
    for (const entry of PERSONAL_DATA_INVENTORY) {
      const columns = tables.get(entry.table);
      if (!columns) stale.push(entry.table);
      else for (const column of Object.keys(entry.columns)) if (!columns.includes(column)) stale.push(`${entry.table}.${column}`);
    }
    assert.deepEqual(stale, [], `The inventory names tables or columns the schema no longer has: ${stale.join(', ')}`);
    const names = PERSONAL_DATA_INVENTORY.map((e) => e.table);
    assert.equal(new Set(names).size, names.length, 'each table is listed once');
  });

  it('DP-05: a table erased column by column is scoped to one consultation, and a copied column is one the table keeps', () => {
    for (const entry of PERSONAL_DATA_INVENTORY) {
      if (entry.rows !== 'keep') assert.notEqual(entry.scope.via, 'none', `${entry.table} is erased, so it must say how its rows belong to a consultation`);
      if (entry.rows === 'keep' && entry.scope.via !== 'none')
        for (const [column, t] of Object.entries(entry.columns)) assert.equal(t.do, 'keep', `${entry.table}.${column}: a kept table erases nothing`);
      for (const [column, t] of Object.entries(entry.columns))
        if (t.do === 'anonymise' && 'copyColumn' in t.how)
          assert.equal(entry.columns[t.how.copyColumn]?.do, 'keep', `${entry.table}.${column} copies a kept column`);
      if (entry.scope.via === 'consultation' || entry.scope.via === 'call') assert.ok(entry.scope.column in entry.columns);
    }
    // The free text the issue names is erased: statement, chat, notes, DASH answers, caller name and phone.
    const treatment = (table: string, column: string) => PERSONAL_DATA_INVENTORY.find((e) => e.table === table)?.columns[column]?.do;
    for (const [table, column] of [
      ['victim_statements', 'text'],
      ['victim_statements', 'confirmed_text'],
      ['calls', 'officer_notes'],
      ['risk_assessments', 'answers'],
      ['incidents', 'caller_name'],
      ['incidents', 'caller_phone'],
    ])
      assert.notEqual(treatment(table!, column!), 'keep', `${table}.${column} is erased`);
    assert.equal(PERSONAL_DATA_INVENTORY.find((e) => e.table === 'chat_messages')?.rows, 'delete');
  });

  it('docs/personal-data-inventory.md is the inventory as rendered', () => {
    const file = path.join(root, 'docs/personal-data-inventory.md');
    if (process.env.WRITE_INVENTORY_DOC === '1') fs.writeFileSync(file, renderInventoryMarkdown());
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      renderInventoryMarkdown(),
      'docs/personal-data-inventory.md is behind the inventory: run `WRITE_INVENTORY_DOC=1 node --import tsx --test src/features/dpo/personal-data-inventory.test.ts`',
    );
  });
});
