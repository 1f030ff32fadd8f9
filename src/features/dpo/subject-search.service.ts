import { createHash } from 'node:crypto';
import type { DataAccess } from '../../data-access.js';
import { normaliseUkMobile } from '../../domain/phone.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import { requireReason } from '../evidence/evidence-shared.js';
import { PERSONAL_DATA_INVENTORY } from './personal-data-inventory.js';
import type { SubjectCriteria, SubjectMatch } from './subject-search.queries.js';

export interface SubjectSearchInput {
  phone?: string;
  name?: string;
  cadReference?: string;
  crimeReference?: string;
  justification?: string;
}

export interface SubjectSearchResult {
  matches: (SubjectMatch & { holdings: { table: string; rows: number }[] })[];
  limited: boolean;
}

const LIMIT = 50;

/**
 * The start of the DPO's data-subject search (issue 16 §1; DP-06, DP-01): everything held about a person, found by
 * the caller's mobile number or name, the CAD incident number or the crime reference, with what each inventory table
 * (and the audit log) holds for every consultation found. Every search is itself logged with its justification, the
 * kinds of criteria, a SHA-256 of the terms (the terms are personal data: the log proves them without holding them)
 * and the consultations it returned.
 */
export class SubjectSearchService {
  constructor(private readonly deps: { data: DataAccess; audit: AuditTrail }) {}

  async search(context: RequestContext, input: SubjectSearchInput): Promise<SubjectSearchResult> {
    const criteria: SubjectCriteria = {};
    const fields: Record<string, string> = {};
    const phone = input.phone?.trim();
    if (phone) {
      const checked = normaliseUkMobile(phone);
      if (checked.ok) criteria.phone = checked.e164;
      else fields.phone = checked.problem;
    }
    const name = input.name?.trim();
    if (name) {
      if (name.length < 2) fields.name = 'Enter at least 2 characters of the name';
      else criteria.name = name;
    }
    if (input.cadReference?.trim()) criteria.cadReference = input.cadReference.trim();
    if (input.crimeReference?.trim()) criteria.crimeReference = input.crimeReference.trim();
    if (Object.keys(fields).length > 0) throw new ValidationError(Object.values(fields)[0]!, fields);
    if (Object.keys(criteria).length === 0)
      throw new ValidationError('Enter a mobile number, a name, a CAD number or a crime reference', {
        phone: 'Enter a mobile number, a name, a CAD number or a crime reference',
      });
    const justification = requireReason(input.justification, 'justification', 'the reason for this search (the request it answers)');
    return this.deps.data.transaction(async (tx) => {
      const found = await tx.subjectSearch.findConsultations(criteria, LIMIT + 1);
      const shown = found.slice(0, LIMIT);
      const matches = [];
      for (const match of shown) matches.push({ ...match, holdings: await tx.subjectSearch.holdings(match.consultationId, PERSONAL_DATA_INVENTORY) });
      await this.deps.audit.record(tx.audit, context, {
        what: 'subject.searched',
        justification,
        details: {
          criteria: Object.keys(criteria).sort(),
          criteriaSha256: createHash('sha256').update(JSON.stringify(criteria)).digest('hex'),
          consultationIds: shown.map((m) => m.consultationId),
          limited: found.length > LIMIT,
        },
      });
      return { matches, limited: found.length > LIMIT };
    });
  }
}
