// Server-rendered SVG line charts (issue 17): no script, no inline style (colours come from
// classes in app.css), so they pass the strict CSP; every chart has its numbers beside it in a
// table for screen readers and for anyone who wants the figures.
import { html, type SafeHtml } from '../html.ts';

export interface ChartSeries {
  label: string;
  /** One value per day of `days`; null: no snapshot that day. */
  values: Array<number | null>;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const steps = [1, 2, 2.5, 5, 10];
  for (const s of steps) if (value <= s * magnitude) return s * magnitude;
  return 10 * magnitude;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export function lineChart(options: { id: string; title: string; days: string[]; series: ChartSeries[]; unit?: string }): SafeHtml {
  const { id, title, days, series } = options;
  if (days.length === 0)
    return html`<p class="muted">${title}: no daily snapshots yet. The first is taken at the next sync; one a day after that.</p>`;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (days.length === 1 ? plotWidth / 2 : (i * plotWidth) / (days.length - 1));
  const y = (v: number) => PAD.top + plotHeight - (v / max) * plotHeight;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const paths = series.map((s, index) => {
    const points: string[] = [];
    s.values.forEach((v, i) => {
      if (v !== null) points.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    });
    return html`<polyline class="chart-line chart-series-${index % 4}" points="${points.join(' ')}" /> ${
        points.length === 1
          ? html`<circle
              class="chart-dot chart-series-${index % 4}"
              cx="${points[0]!.split(',')[0]!}"
              cy="${points[0]!.split(',')[1]!}"
              r="3"
            />`
          : ''
      }`;
  });
  const last = days.length - 1;
  const description = series
    .map((s) => {
      const values = s.values.filter((v): v is number => v !== null);
      return `${s.label}: ${values.length ? `${fmt(values[0]!)} on ${days[0]} to ${fmt(values.at(-1)!)} on ${days[last]}` : 'no data'}`;
    })
    .join('; ');
  return html`<figure class="chart" aria-labelledby="${id}-caption">
    <figcaption id="${id}-caption">${title}</figcaption>
    <div class="chart-body">
      <svg class="chart-svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc" focusable="false">
        <title id="${id}-title">${title}</title>
        <desc id="${id}-desc">${description}</desc>
        ${ticks.map(
          (t) =>
            html`<line class="chart-grid" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" />
              <text class="chart-tick" x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
        )}
        <text class="chart-tick" x="${PAD.left}" y="${HEIGHT - 8}" text-anchor="start">${days[0]!}</text>
        <text class="chart-tick" x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" text-anchor="end">${days[last]!}</text>
        ${paths}
      </svg>
      <ul class="chart-legend">
        ${series.map((s, index) => html`<li><span class="chart-key chart-series-${index % 4}" aria-hidden="true"></span>${s.label}</li>`)}
      </ul>
    </div>
    <div class="chart-table" tabindex="0" role="region" aria-label="${title}: the numbers">
      <table>
        <caption>
          ${title}: the numbers
        </caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            ${series.map((s) => html`<th scope="col">${s.label}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${days
            .map((day, i) => ({ day, i }))
            .reverse()
            .slice(0, 31)
            .map(
              ({ day, i }) =>
                html`<tr>
                  <th scope="row">${day}</th>
                  ${series.map((s) => html`<td>${s.values[i] === null || s.values[i] === undefined ? '—' : fmt(s.values[i]!)}</td>`)}
                </tr>`,
            )}
        </tbody>
      </table>
    </div>
  </figure>`;
}
