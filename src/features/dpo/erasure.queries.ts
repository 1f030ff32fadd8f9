import { desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { personalDataErasures } from './dpo.schema.js';
import { isErased, type ColumnTreatment, type TableInventory } from './personal-data-inventory.js';

export type ErasureRow = typeof personalDataErasures.$inferSelect;

/** What one table's erasure did: rows deleted or updated, and which columns were erased. */
export interface TableErasure {
  table: string;
  action: 'delete' | 'update';
  rows: number;
  columns: string[];
}

const ERASED_TEXT = '[erased]';

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

function textArray(values: string[]): SQL {
  return sql`${`{${values.join(',')}}`}::text[]`;
}

/** The SQL that removes or reduces one column's value (personal-data-inventory.ts). */
function erasedValue(column: string, treatment: Exclude<ColumnTreatment, { do: 'keep' }>): SQL {
  const col = sql.identifier(column);
  switch (treatment.do) {
    case 'null':
      return sql`null`;
    case 'blank':
      return sql`${ERASED_TEXT}`;
    case 'empty-object':
      return sql`'{}'::jsonb`;
    case 'empty-array':
      return sql`'[]'::jsonb`;
    case 'anonymise': {
      const how = treatment.how;
      if ('dropKeys' in how) return sql`${col} - ${textArray(how.dropKeys)}`;
      if ('keepKeys' in how)
        return sql`case when ${col} is null then null else (select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) from jsonb_each(${col}) e where e.key = any(${textArray(how.keepKeys)})) end`;
      if ('dropKeysInEach' in how)
        return sql`case when ${col} is null or jsonb_typeof(${col}) <> 'object' then ${col} else (select coalesce(jsonb_object_agg(e.key, case when jsonb_typeof(e.value) = 'object' then e.value - ${textArray(how.dropKeysInEach)} else e.value end), '{}'::jsonb) from jsonb_each(${col}) e) end`;
      return sql`${sql.identifier(how.copyColumn)}`;
    }
  }
}

/** The rows of a table that belong to one consultation (its scope in the inventory). */
function inScope(entry: TableInventory, consultationId: string): SQL | undefined {
  const scope = entry.scope;
  switch (scope.via) {
    case 'self':
      return sql`id = ${consultationId}`;
    case 'consultation':
      return sql`${sql.identifier(scope.column)} = ${consultationId}`;
    case 'call':
      return sql`${sql.identifier(scope.column)} in (select id from calls where consultation_id = ${consultationId})`;
    case 'incident':
      return sql`id = (select incident_id from consultations where id = ${consultationId})`;
    case 'none':
      return undefined;
  }
}

/**
 * The inventory-driven erasure of one consultation's personal data (issue 16 §2, RET-02, DP-05) and the erasure
 * record. Runs inside the caller's transaction: the erasure, its record and its audit entry commit together or not at all.
 */
export class ErasureQueries {
  constructor(private readonly db: Executor) {}

  /** Deletes or reduces, table by table, every column the inventory does not keep, for this consultation only. */
  async eraseConsultation(consultationId: string, inventory: TableInventory[]): Promise<TableErasure[]> {
    const done: TableErasure[] = [];
    for (const entry of inventory) {
      const where = inScope(entry, consultationId);
      if (!where || entry.rows === 'keep') continue;
      const table = sql.identifier(entry.table);
      if (entry.rows === 'delete') {
        const deleted = rowsOf<unknown>(await this.db.execute(sql`delete from ${table} where ${where} returning 1`));
        done.push({ table: entry.table, action: 'delete', rows: deleted.length, columns: Object.keys(entry.columns) });
        continue;
      }
      const erased = Object.entries(entry.columns).filter((e): e is [string, Exclude<ColumnTreatment, { do: 'keep' }>] => isErased(e[1]));
      if (erased.length === 0) continue;
      const assignments = sql.join(
        erased.map(([column, treatment]) => sql`${sql.identifier(column)} = ${erasedValue(column, treatment)}`),
        sql`, `,
      );
      const updated = rowsOf<unknown>(await this.db.execute(sql`update ${table} set ${assignments} where ${where} returning 1`));
      done.push({ table: entry.table, action: 'update', rows: updated.length, columns: erased.map(([column]) => column) });
    }
    return done;
  }

  /** How many rows of each in-scope table belong to the consultation (for the certificate's "kept" list and a dry run). */
  async countRows(consultationId: string, inventory: TableInventory[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const entry of inventory) {
      const where = inScope(entry, consultationId);
      if (!where) continue;
      const [row] = rowsOf<{ n: string | number }>(await this.db.execute(sql`select count(*)::int as n from ${sql.identifier(entry.table)} where ${where}`));
      counts[entry.table] = Number(row?.n ?? 0);
    }
    return counts;
  }

  /**
   * Consultations whose evidence has all been disposed of (disposed, or marked and being deleted) with no hold standing
   * and no erasure yet: the disposal job erases their personal data. An item kept by a hold or the store's lock keeps
   * the case; so does one purged after export (RET-23): the material lives on in the force's evidence system, the case
   * with it, so its record is not erased by disposal (ADR 0016).
   */
  async listReadyForErasure(limit: number): Promise<string[]> {
    const rows = rowsOf<{ id: string }>(
      await this.db.execute(sql`
        select c.id from consultations c
        where exists (select 1 from evidence_items i where i.consultation_id = c.id)
          and not exists (select 1 from evidence_items i where i.consultation_id = c.id and i.state not in ('disposed', 'disposing'))
          and not exists (select 1 from legal_holds h where h.consultation_id = c.id and h.released_at is null)
          and not exists (select 1 from personal_data_erasures e where e.consultation_id = c.id)
        order by c.id
        limit ${limit}`),
    );
    return rows.map((r) => r.id);
  }

  async lockConsultation(consultationId: string): Promise<{ id: string; reference: string; state: string } | undefined> {
    const [row] = rowsOf<{ id: string; reference: string; state: string }>(
      await this.db.execute(sql`select id, reference, state from consultations where id = ${consultationId} for update`),
    );
    return row;
  }

  async findByReference(reference: string): Promise<{ id: string; reference: string } | undefined> {
    const [row] = rowsOf<{ id: string; reference: string }>(await this.db.execute(sql`select id, reference from consultations where reference = ${reference}`));
    return row;
  }

  async create(row: typeof personalDataErasures.$inferInsert): Promise<ErasureRow> {
    const [created] = await this.db.insert(personalDataErasures).values(row).returning();
    return created!;
  }

  async find(id: string): Promise<ErasureRow | undefined> {
    const [row] = await this.db.select().from(personalDataErasures).where(eq(personalDataErasures.id, id));
    return row;
  }

  async findForConsultation(consultationId: string): Promise<ErasureRow | undefined> {
    const [row] = await this.db.select().from(personalDataErasures).where(eq(personalDataErasures.consultationId, consultationId));
    return row;
  }

  async listRecent(limit: number): Promise<ErasureRow[]> {
    return this.db.select().from(personalDataErasures).orderBy(desc(personalDataErasures.erasedAt)).limit(limit);
  }
}
