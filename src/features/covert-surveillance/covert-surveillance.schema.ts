import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/identity.schema.js';
import { consultations } from '../consultations/consultations.schema.js';
import { legalHolds } from '../evidence/evidence.schema.js';

/**
 * Policy 3.4: a call that strayed into covert surveillance without authority, reported by the officer or a supervisor
 * to the Covert Authorities Bureau (CAB); the Chief Constable reports it to the Investigatory Powers Commissioner, and
 * this table is the IPCO-facing register. The report places an IPCO legal hold on the consultation's material in the
 * same transaction (`hold_id`).
 */
export const covertSurveillanceReports = pgTable(
  'covert_surveillance_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** What happened in the call that amounted to surveillance without authority. */
    description: text('description').notNull(),
    reportedBy: uuid('reported_by')
      .notNull()
      .references(() => users.id),
    /** rvr_officer | supervisor: the role the report was made in. */
    reporterRole: text('reporter_role').notNull(),
    reportedAt: timestamp('reported_at', { withTimezone: true }).notNull(),
    holdId: uuid('hold_id')
      .notNull()
      .references(() => legalHolds.id),
    /** The CAB's reference once it acknowledges the report, and when it was passed to IPCO. */
    cabReference: text('cab_reference'),
    ipcoReportedAt: timestamp('ipco_reported_at', { withTimezone: true }),
  },
  (t) => [index('covert_surveillance_reports_consultation_idx').on(t.consultationId)],
);
