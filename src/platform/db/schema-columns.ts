import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';

/**
 * Every table declared in the `*.schema.ts` files under `srcRoot`, as drizzle knows it: table name → column names.
 * The personal-data inventory's test holds the inventory to it (issue 16 §2), so a new column cannot be forgotten.
 */
export async function schemaColumns(srcRoot: string): Promise<Map<string, string[]>> {
  const tables = new Map<string, string[]>();
  for (const file of fs.globSync('**/*.schema.ts', { cwd: srcRoot })) {
    const module = (await import(pathToFileURL(path.join(srcRoot, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module))
      if (is(value, PgTable)) {
        const config = getTableConfig(value);
        tables.set(
          config.name,
          config.columns.map((c) => c.name),
        );
      }
  }
  return tables;
}
