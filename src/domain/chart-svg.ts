/**
 * Server-rendered bar charts as SVG text, with no library and no script: each chart names itself with a
 * `<title>` and `<desc>` (read out by screen readers through aria-labelledby), and the page puts a table with
 * the same numbers beside it. Pure: the same bars give the same SVG.
 */

export interface Bar {
  label: string;
  value: number;
  /** What is written at the end of the bar; the value itself if not given. */
  valueLabel?: string;
}

export interface BarChart {
  /** Unique on the page: the ids of the title and description derive from it. */
  id: string;
  title: string;
  description: string;
  bars: readonly Bar[];
  width?: number;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const LABEL_WIDTH = 150;
const VALUE_WIDTH = 130;
const BAR_HEIGHT = 22;
const GAP = 8;

/** The width in pixels of a bar: proportional to its value against the largest, 0 for zero or negative values. */
export function barLength(value: number, max: number, plotWidth: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.round((Math.min(value, max) / max) * plotWidth * 10) / 10;
}

/** Horizontal bars, one row each, label on the left and value on the right. */
export function horizontalBarChart(chart: BarChart): string {
  const width = chart.width ?? 600;
  const plotWidth = width - LABEL_WIDTH - VALUE_WIDTH;
  const max = Math.max(0, ...chart.bars.map((b) => b.value));
  const height = Math.max(1, chart.bars.length) * (BAR_HEIGHT + GAP) + GAP;
  const id = escapeXml(chart.id);
  const rows = chart.bars.map((bar, index) => {
    const y = GAP + index * (BAR_HEIGHT + GAP);
    const length = barLength(bar.value, max, plotWidth);
    const textY = y + BAR_HEIGHT / 2 + 5;
    return (
      `<g class="rvr-chart__row">` +
      `<text x="${LABEL_WIDTH - 8}" y="${textY}" text-anchor="end" font-size="14" fill="#0b0c0c">${escapeXml(bar.label)}</text>` +
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${length}" height="${BAR_HEIGHT}" fill="#1d70b8" data-value="${bar.value}"></rect>` +
      `<text x="${LABEL_WIDTH + length + 6}" y="${textY}" font-size="14" fill="#0b0c0c">${escapeXml(bar.valueLabel ?? String(bar.value))}</text>` +
      `</g>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="rvr-chart" role="img" width="100%" viewBox="0 0 ${width} ${height}" ` +
    `aria-labelledby="${id}-title ${id}-desc" data-testid="chart-${id}">` +
    `<title id="${id}-title">${escapeXml(chart.title)}</title>` +
    `<desc id="${id}-desc">${escapeXml(chart.description)}</desc>` +
    rows.join('') +
    `</svg>`
  );
}
