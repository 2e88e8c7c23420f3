import { html, type Html, plural } from '../html.js';

/** One line of the graph: a version (or "other versions") and its downloads per day. */
export interface DownloadSeries {
  label: string;
  /** Downloads by `YYYY-MM-DD`; days without downloads are absent. */
  byDay: ReadonlyMap<string, number>;
}

const DAY_MS = 86_400_000;
const WIDTH = 600;
const HEIGHT = 180;
const LEFT = 44;
const BOTTOM = 22;
const TOP = 8;

/** The `days` dates up to and including `today` (UTC), oldest first. */
export function lastDays(today: Date, days: number): string[] {
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

/**
 * A line per version over the given days, drawn on the server as SVG (no script, no request of
 * its own; colours come from the stylesheet so both schemes apply). The total is also written
 * out, for readers who cannot see the lines.
 */
export function downloadsGraph(series: readonly DownloadSeries[], days: readonly string[]): Html {
  const total = series.reduce((sum, s) => sum + days.reduce((n, d) => n + (s.byDay.get(d) ?? 0), 0), 0);
  const summary = `${plural(total, 'download')} in the last ${days.length} days`;
  if (total === 0 || days.length < 2) return html`<p class="muted">No downloads in the last ${days.length} days.</p>`;
  const max = Math.max(1, ...series.flatMap((s) => days.map((d) => s.byDay.get(d) ?? 0)));
  const x = (i: number) => (LEFT + (i * (WIDTH - LEFT - 4)) / (days.length - 1)).toFixed(1);
  const y = (n: number) => (TOP + (1 - n / max) * (HEIGHT - TOP - BOTTOM)).toFixed(1);
  const base = HEIGHT - BOTTOM;
  return html`<p>${summary}.</p>
<svg class="graph" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Downloads per day and version: ${summary}">
<line class="axis" x1="${LEFT}" y1="${base}" x2="${WIDTH}" y2="${base}"/><line class="axis" x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${base}"/>
<text x="${LEFT - 4}" y="${TOP + 10}" text-anchor="end">${max.toLocaleString('en-US')}</text><text x="${LEFT - 4}" y="${base}" text-anchor="end">0</text>
<text x="${LEFT}" y="${HEIGHT - 4}">${days[0]!}</text><text x="${WIDTH}" y="${HEIGHT - 4}" text-anchor="end">${days[days.length - 1]!}</text>
${series.map((s, i) => html`<polyline class="s${i % 6}" points="${days.map((d, j) => `${x(j)},${y(s.byDay.get(d) ?? 0)}`).join(' ')}"><title>${s.label}</title></polyline>`)}
</svg>
<ul class="legend">${series.map((s, i) => html`<li class="s${i % 6}">${s.label}: ${plural(days.reduce((n, d) => n + (s.byDay.get(d) ?? 0), 0), 'download')}</li>`)}</ul>`;
}
