import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import type { TableInventory } from './personal-data-inventory.js';

export interface SubjectCriteria {
  /** E.164, normalised by the caller. */
  phone?: string;
  /** Part of a name, matched case-insensitively. */
  name?: string;
  cadReference?: string;
  crimeReference?: string;
}

export interface SubjectMatch {
  consultationId: string;
  reference: string;
  cadReference: string;
  triagedAt: Date;
  erased: boolean;
  /** Which criteria matched this consultation. */
  matchedBy: string[];
}

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * DP-06 (issue 16 §1, start): finds the consultations that hold data about a data subject, by the caller's number or
 * name, the CAD incident number or the crime reference, and what each inventory table holds for them.
 */
export class SubjectSearchQueries {
  constructor(private readonly db: Executor) {}

  async findConsultations(criteria: SubjectCriteria, limit: number): Promise<SubjectMatch[]> {
    const tests: { label: string; condition: SQL }[] = [];
    if (criteria.phone) tests.push({ label: 'phone', condition: sql`i.caller_phone = ${criteria.phone}` });
    if (criteria.name) {
      const pattern = likePattern(criteria.name);
      tests.push({
        label: 'name',
        condition: sql`(i.caller_name ilike ${pattern} or exists (select 1 from victim_statements s where s.consultation_id = c.id and s.signature_name ilike ${pattern}))`,
      });
      // Issue 16 §1: a person named in what was said or written, not only the caller (chat, statement, survey comment,
      // and the reasons and recipients staff typed into the s.62 log about the consultation: ADR 0016).
      tests.push({
        label: 'named',
        condition: sql`(exists (select 1 from chat_messages m join calls k on k.id = m.call_id where k.consultation_id = c.id and m.text ilike ${pattern})
          or exists (select 1 from victim_statements s where s.consultation_id = c.id and (s.text ilike ${pattern} or s.confirmed_text ilike ${pattern}))
          or exists (select 1 from satisfaction_surveys v where v.consultation_id = c.id and v.comment ilike ${pattern})
          or exists (select 1 from audit_events a where a.subject = 'consultation:' || c.id::text and (a.justification ilike ${pattern} or a.recipient ilike ${pattern})))`,
      });
    }
    if (criteria.cadReference) tests.push({ label: 'cad', condition: sql`lower(i.cad_reference) = lower(${criteria.cadReference})` });
    if (criteria.crimeReference)
      tests.push({
        label: 'crime',
        condition: sql`exists (select 1 from consultation_outcomes o where o.consultation_id = c.id and lower(o.details->>'crimeReference') = lower(${criteria.crimeReference}))`,
      });
    if (tests.length === 0) return [];
    const matchedBy = sql.join(
      tests.map((t) => sql`case when ${t.condition} then ${t.label} end`),
      sql`, `,
    );
    const found = rowsOf<{ id: string; reference: string; cad_reference: string; triaged_at: Date | string; erased: boolean; matched: (string | null)[] }>(
      await this.db.execute(sql`
        select c.id, c.reference, i.cad_reference, c.triaged_at,
               exists (select 1 from personal_data_erasures e where e.consultation_id = c.id) as erased,
               array[${matchedBy}] as matched
        from consultations c join incidents i on i.id = c.incident_id
        where ${sql.join(
          tests.map((t) => sql`(${t.condition})`),
          sql` or `,
        )}
        order by c.triaged_at desc
        limit ${limit}`),
    );
    return found.map((r) => ({
      consultationId: r.id,
      reference: r.reference,
      cadReference: r.cad_reference,
      triagedAt: new Date(r.triaged_at),
      erased: r.erased,
      matchedBy: r.matched.filter((m): m is string => !!m),
    }));
  }

  /** Per inventory table scoped to consultations, how many rows this consultation has there. */
  async holdings(consultationId: string, inventory: TableInventory[]): Promise<{ table: string; rows: number }[]> {
    const held: { table: string; rows: number }[] = [];
    for (const entry of inventory) {
      const where = inventoryRowsOf(entry, consultationId);
      if (!where) continue;
      const [row] = rowsOf<{ n: number | string }>(await this.db.execute(sql`select count(*)::int as n from ${sql.identifier(entry.table)} where ${where}`));
      const rows = Number(row?.n ?? 0);
      if (rows > 0) held.push({ table: entry.table, rows });
    }
    // The s.62 log: events about the consultation, its calls and its evidence (kept, never rewritten: ADR 0016).
    const [audit] = rowsOf<{ n: number | string }>(
      await this.db.execute(sql`
        select count(*)::int as n from audit_events
        where subject = ${`consultation:${consultationId}`}
           or subject in (select 'call:' || id from calls where consultation_id = ${consultationId})
           or subject in (select 'evidence:' || id from evidence_items where consultation_id = ${consultationId})`),
    );
    held.push({ table: 'audit_events', rows: Number(audit?.n ?? 0) });
    return held;
  }
}

/** Which rows of an inventory table are the consultation's (undefined: the table is not scoped to a consultation). */
export function inventoryRowsOf(entry: TableInventory, consultationId: string): SQL | undefined {
  const s = entry.scope;
  return s.via === 'self'
    ? sql`id = ${consultationId}`
    : s.via === 'consultation'
      ? sql`${sql.identifier(s.column)} = ${consultationId}`
      : s.via === 'call'
        ? sql`${sql.identifier(s.column)} in (select id from calls where consultation_id = ${consultationId})`
        : s.via === 'incident'
          ? sql`id = (select incident_id from consultations where id = ${consultationId})`
          : undefined;
}
