import type { DataAccess } from '../../data-access.js';
import { horizontalBarChart } from '../../domain/chart-svg.js';
import {
  computeOutcomeMeasures,
  formatDuration,
  formatPercent,
  londonDay,
  femaleIntimatePartnerByArm,
  measuresBy,
  measuresByDay,
  outcomeMeasuresCsv,
  parseDayRange,
  type DayRange,
  type OutcomeMeasures,
} from '../../domain/outcome-measures.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';

export interface OutcomesDashboard {
  range: DayRange;
  total: OutcomeMeasures;
  days: { day: string; measures: OutcomeMeasures }[];
  /** Policy 2.2: by sex, relationship and trial arm, and female intimate-partner victims by arm. */
  breakdowns: { dimension: string; title: string; groups: { group: string; measures: OutcomeMeasures }[] }[];
  charts: { funnel: string; satisfaction: string; perDay: string | undefined };
}

/** Longer ranges show the per-day breakdown in the CSV only: a page of hundreds of bars helps no one. */
export const MAX_DAYS_SHOWN = 62;

/** The trial's outcome measures (issue 7 item 7, policy 2.2, RVR-09), computed on request from the stored events. */
export class OutcomesService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  /** Refuses a bad range with a message per field (ValidationError, 400). */
  async dashboard(input: { from?: string; to?: string }): Promise<OutcomesDashboard> {
    const parsed = parseDayRange(input, londonDay(this.now()));
    if (!parsed.ok) throw new ValidationError(Object.values(parsed.errors).join('. '), parsed.errors);
    const { range } = parsed;
    const facts = await this.data.repos.outcomesQueries.consultationFacts(range.start, range.end);
    const total = computeOutcomeMeasures(facts);
    const days = measuresByDay(range, facts);
    const breakdowns = [
      { dimension: 'sex', title: 'By the victim’s sex', groups: measuresBy('sex', facts) },
      { dimension: 'relationship', title: 'By relationship to the suspect', groups: measuresBy('relationship', facts) },
      { dimension: 'arm', title: 'By trial arm', groups: measuresBy('arm', facts) },
      {
        dimension: 'female_intimate_partner_by_arm',
        title: 'Female victims of intimate-partner abuse, by trial arm (policy 2.2)',
        groups: femaleIntimatePartnerByArm(facts),
      },
    ];
    return { range, total, days, breakdowns, charts: charts(total, days) };
  }

  /** The same figures as CSV: aggregates only (no personal data), but an export all the same, so it is audited. */
  async exportCsv(context: RequestContext, input: { from?: string; to?: string }): Promise<{ filename: string; csv: string }> {
    const { range, total, days } = await this.dashboard(input);
    await this.data.transaction((tx) =>
      this.audit.record(tx.audit, context, { what: 'outcomes.exported', details: { from: range.from, to: range.to, format: 'csv' } }),
    );
    return { filename: `rvr-outcome-measures-${range.from}-to-${range.to}.csv`, csv: outcomeMeasuresCsv(range, total, days) };
  }
}

function charts(total: OutcomeMeasures, days: { day: string; measures: OutcomeMeasures }[]): OutcomesDashboard['charts'] {
  const funnel = horizontalBarChart({
    id: 'funnel',
    title: 'From call to video',
    description: `Of ${total.callsTriaged} calls triaged: ${total.eligible.count} eligible, ${total.consented.count} consented, ${total.connected.count} connected on video.`,
    bars: [
      { label: 'Triaged', value: total.callsTriaged },
      { label: 'Eligible', value: total.eligible.count, valueLabel: `${total.eligible.count} (${formatPercent(total.eligible.percent)})` },
      { label: 'Consented', value: total.consented.count, valueLabel: `${total.consented.count} (${formatPercent(total.consented.percent)})` },
      { label: 'Connected', value: total.connected.count, valueLabel: `${total.connected.count} (${formatPercent(total.connected.percent)})` },
    ],
  });
  const s = total.satisfaction;
  const satisfaction = horizontalBarChart({
    id: 'satisfaction',
    title: 'Satisfaction ratings',
    description:
      s.answered === 0 ? 'No survey answers in this range.' : `${s.answered} answers: ${s.distribution.map((n, i) => `${n} rated ${i + 1}`).join(', ')}.`,
    bars: s.distribution.map((n, i) => ({ label: `${i + 1}${i === 0 ? ' (very dissatisfied)' : i === 4 ? ' (very satisfied)' : ''}`, value: n })),
  });
  const perDay =
    days.length > MAX_DAYS_SHOWN
      ? undefined
      : horizontalBarChart({
          id: 'per-day',
          title: 'Calls triaged and median time to officer, by day',
          description: days.map((d) => `${d.day}: ${d.measures.callsTriaged} calls`).join('; ') || 'No days in range.',
          bars: days.map((d) => ({
            label: d.day,
            value: d.measures.callsTriaged,
            valueLabel: `${d.measures.callsTriaged}${d.measures.timeToOfficer.medianSeconds === null ? '' : ` · ${formatDuration(d.measures.timeToOfficer.medianSeconds)}`}`,
          })),
        });
  return { funnel, satisfaction, perDay };
}
