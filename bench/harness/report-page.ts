/**
 * The HTML page's shell: one self-contained file with uPlot's script and styles inlined, the chart specs as JSON and
 * a small script that draws them. It loads nothing (a Content-Security-Policy forbids it), so it opens offline, from
 * a mail attachment or a CI artifact alike.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartSection } from './report-charts.js';

/** Text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

let uplot: { js: string; css: string } | undefined;

/** uPlot's browser build and styles, from the installed package (resolved as Node resolves it). */
function uplotAssets(): { js: string; css: string } {
  if (uplot) return uplot;
  const require = createRequire(import.meta.url);
  const read = (file: string): string => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  // A literal `</script` or `</style` inside would end the inlined element early.
  uplot = { js: read('uPlot.iife.min.js').replace(/<\/(script)/gi, '<\\/$1'), css: read('uPlot.min.css').replace(/<\/(style)/gi, '<\\/$1') };
  return uplot;
}

/** JSON that is safe inside a <script> element: no `<` survives, so neither `</script>` nor `<!--` can appear. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c');
}

const STYLE = `
:root { color-scheme: light; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bad: #b91c1c; --good: #15803d; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1280px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.sub, p.hint, p.no-data { color: var(--muted); margin: 4px 0 12px; }
p.no-data { font-style: italic; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f9fafb; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.fields th { width: 130px; }
tr.failed td { background: #fef2f2; }
tr.first-of-target td { border-top: 2px solid #9ca3af; }
td.target { font-weight: 600; white-space: nowrap; }
td.better { color: var(--good); font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
.status { color: var(--bad); font-weight: 600; }
ul.notes li { margin: 2px 0; }
ul.warnings li { color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; min-width: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.chart { width: 100%; min-height: 300px; }
.u-legend { font-size: 12px; }
`;

/** Draws every spec with uPlot, then records how many were drawn in `body[data-charts-drawn]`. */
const SCRIPT = `
(() => {
  'use strict';
  const sections = JSON.parse(document.getElementById('chart-data').textContent);
  const specs = sections.flatMap((s) => s.charts);
  const charts = [];
  let drawn = 0;
  let settled = 0;
  const settle = () => { if (++settled === specs.length) document.body.dataset.chartsDrawn = String(drawn); };
  const pct = (v) => { const p = 100 * (1 - Math.pow(10, -v)); return Number(p.toPrecision(Math.max(2, Math.ceil(v) + 2))) + '%'; };
  const num = (v) => v == null ? '—' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString();
  const scale = (axis) => axis.log ? { distr: 3, log: axis.log } : axis.zero ? { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } : {};
  const tick = (axis, v) => v == null ? '' : axis.nines ? (v === axis.maxAt ? 'max' : pct(v)) : num(v);
  const axisOf = (axis, key, side) => {
    const a = { label: axis.label, scale: key, side, stroke: '#374151', grid: { stroke: '#eef0f3', show: side !== 1 }, ticks: { stroke: '#d1d5db' } };
    if (axis.nines) {
      a.splits = (u, i, min, max) => { const out = []; for (let v = Math.max(0, Math.ceil(min)); v <= Math.floor(max); v++) out.push(v); return out; };
    }
    // uPlot passes null for the ticks of a log axis it leaves unlabelled.
    a.values = (u, splits) => splits.map((v) => tick(axis, v));
    // Room for '10,000' beside the axis label (uPlot's default fits about four characters).
    if (side !== 2) a.size = 72;
    return a;
  };
  const options = (spec, width) => {
    const scales = { x: { time: false, ...scale(spec.x) }, y: scale(spec.y) };
    const axes = [axisOf(spec.x, 'x', 2), axisOf(spec.y, 'y', 3)];
    if (spec.y2) { scales.y2 = scale(spec.y2); axes.push(axisOf(spec.y2, 'y2', 1)); }
    const series = [{ label: spec.x.label, value: (u, v) => v == null ? '—' : tick(spec.x, v) }];
    spec.series.forEach((s, i) => {
      // Points on a line only while they stay apart: count this series' own points, not the union of x values.
      const own = spec.data[i + 1].filter((v) => v != null).length;
      series.push({
        label: s.label, scale: s.scale, stroke: s.color, width: s.secondary ? 1.25 : 2, spanGaps: true, dash: s.dash ? [6, 4] : undefined,
        value: (u, v) => num(v),
        points: { show: !s.line || own <= 24, size: s.line ? 6 : 8, width: 1.5, stroke: s.color, fill: s.secondary ? '#fff' : s.color },
        ...(s.line ? {} : { paths: () => null }),
      });
    });
    // Legend markers in the series' own style: a box for a line, filled for points, dashed for B of a comparison.
    const of = (i) => spec.series[i - 1] || { color: '#374151', line: true };
    const markers = {
      show: true, stroke: (u, i) => of(i).color, width: (u, i) => (of(i).secondary ? 1 : 2),
      fill: (u, i) => (of(i).line || of(i).secondary ? 'transparent' : of(i).color), dash: (u, i) => (of(i).dash ? 'dashed' : 'solid'),
    };
    return { width, height: 300, scales, axes, series, legend: { live: true, markers }, cursor: { drag: { x: false, y: false } },
      hooks: { draw: [(u) => { if (!u._counted) { u._counted = true; drawn++; settle(); } }] } };
  };
  const widthOf = (el) => Math.max(320, Math.floor(el.getBoundingClientRect().width) - 4);
  for (const spec of specs) {
    const el = document.getElementById(spec.id);
    try {
      charts.push([el, new uPlot(options(spec, widthOf(el)), spec.data, el)]);
    } catch (err) {
      console.error('chart ' + spec.id + ' could not be drawn: ' + (err && err.message));
      settle();
    }
  }
  if (specs.length === 0) document.body.dataset.chartsDrawn = '0';
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => { for (const [el, u] of charts) u.setSize({ width: widthOf(el), height: 300 }); });
  });
})();
`;

/** The chart sections as HTML: a figure per chart, or a note when the run has no data for that kind of chart. */
export function sectionsHtml(sections: ChartSection[], noData: string): string {
  return sections
    .map((s) => {
      const figures = s.charts
        .map((c) => `<figure><figcaption>${escapeHtml(c.title)}</figcaption><div class="chart" id="${escapeHtml(c.id)}" data-chart="${c.kind}"></div></figure>`)
        .join('\n');
      const inner = s.charts.length > 0 ? `<p class="hint">${escapeHtml(s.description)}</p>\n<div class="grid">\n${figures}\n</div>` : `<p class="no-data">${escapeHtml(noData)}</p>`;
      return `<section class="charts" id="section-${s.kind}" data-section="${s.kind}">\n<h2>${escapeHtml(s.title)}</h2>\n${inner}\n</section>`;
    })
    .join('\n');
}

/** A complete page: `body` is trusted HTML, `sections` are drawn by the page's script. */
export function pageHtml(title: string, body: string, sections: ChartSection[]): string {
  const { js, css } = uplotAssets();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
<style>${STYLE}</style>
</head>
<body>
${body}
<script type="application/json" id="chart-data">${scriptJson(sections)}</script>
<script>${js}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
