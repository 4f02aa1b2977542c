/**
 * The HTML reports: one run (`--html`) or two side by side (`bench compare --html`), each a single self-contained
 * page with the text report's tables and the charts of {@link chartSections}.
 *
 * @module
 */
import { COMPARE_HEADERS, compareRow, type Comparison, type MeasurementPair } from './compare.js';
import type { Align } from './format.js';
import type { BenchReport } from './report.js';
import { chartSections } from './report-charts.js';
import { escapeHtml, pageHtml, sectionsHtml } from './report-page.js';
import { TARGET_HEADER, headerFields, measurementNotes, measurementTable } from './report-rows.js';

const NO_DATA = 'no data for this chart in this run';

interface Cell {
  text: string;
  cls?: string;
}

function table(cls: string, headers: string[], rows: { cells: Cell[]; cls?: string }[], align: Align[]): string {
  const th = headers.map((h, i) => `<th${align[i] === 'r' ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => {
    const tds = r.cells.map((c, i) => {
      const classes = [align[i] === 'r' ? 'num' : '', c.cls ?? ''].filter(Boolean).join(' ');
      return `<td${classes ? ` class="${classes}"` : ''}>${escapeHtml(c.text)}</td>`;
    });
    return `<tr${r.cls ? ` class="${r.cls}"` : ''}>${tds.join('')}</tr>`;
  });
  return `<table class="${cls}">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs.join('\n')}\n</tbody>\n</table>`;
}

function list(cls: string, items: string[]): string {
  return `<ul class="${cls}">\n${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}\n</ul>`;
}

function measurementsHtml(r: BenchReport): string {
  if (r.measurements.length === 0) return '<p class="no-data">no measurements</p>';
  const t = measurementTable(r);
  const status = t.headers.indexOf('status');
  const byTarget = t.headers[0] === TARGET_HEADER;
  const rows = t.rows.map((cells, ri) => {
    const m = t.measurements[ri]!;
    // A rule above each target's first row: the groups read apart without repeating a heading.
    const first = byTarget && ri > 0 && t.measurements[ri - 1]!.target !== m.target;
    const cls = [m.failed === undefined ? '' : 'failed', first ? 'first-of-target' : ''].filter(Boolean).join(' ');
    return { cls: cls || undefined, cells: cells.map((text, i) => ({ text, cls: i === status && text ? 'status' : i === 0 && byTarget ? 'target' : undefined })) };
  });
  return table('measurements', t.headers, rows, t.align);
}

/** The targets' names for a title: `memory, hnswlib`. */
const targetNames = (r: BenchReport): string => r.targets.map((t) => t.name).join(', ');

function notesHtml(r: BenchReport): string {
  const notes = r.measurements.flatMap((m) => measurementNotes(m).map((n) => `${m.label}: ${n}`));
  const parts: string[] = [];
  if (notes.length > 0) parts.push('<h2>Notes</h2>', list('notes', notes));
  if (r.warnings.length > 0) parts.push('<h2>Warnings</h2>', list('warnings', r.warnings));
  return parts.join('\n');
}

function fieldsHtml(r: BenchReport): string {
  const rows = headerFields(r).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`);
  return `<table class="fields">\n${rows.join('\n')}\n</table>`;
}

/** The HTML page of one run: context, measurement table, notes, then the charts. */
export function renderHtml(report: BenchReport): string {
  const title = `LarchDB bench: ${targetNames(report)} on ${report.dataset.name}`;
  const sections = chartSections([{ name: '', report }]);
  const body = [
    `<header><h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(`${report.startedAt} → ${report.finishedAt}`)}</p></header>`,
    '<section id="run"><h2>Run</h2>',
    fieldsHtml(report),
    '</section>',
    '<section id="measurements"><h2>Measurements</h2>',
    measurementsHtml(report),
    notesHtml(report),
    '</section>',
    sectionsHtml(sections, NO_DATA),
  ].join('\n');
  return pageHtml(title, body, sections);
}

/** A ratio cell is coloured when B differs from A by more than 5%, green when B is better. */
function ratioClass(r: number | null, higherIsBetter: boolean): string | undefined {
  if (r === null || Math.abs(r - 1) <= 0.05) return undefined;
  return r > 1 === higherIsBetter ? 'better' : 'worse';
}

function pairCells(p: MeasurementPair): Cell[] {
  const cls: (string | undefined)[] = [];
  cls[COMPARE_HEADERS.indexOf('thr B/A')] = ratioClass(p.throughputRatio, true);
  cls[COMPARE_HEADERS.indexOf('p50 B/A')] = ratioClass(p.p50Ratio, false);
  cls[COMPARE_HEADERS.indexOf('p99 B/A')] = ratioClass(p.p99Ratio, false);
  return compareRow(p).map((text, i) => ({ text, cls: cls[i] }));
}

function sideBySideFields(a: BenchReport, b: BenchReport): string {
  const fa = new Map(headerFields(a));
  const fb = new Map(headerFields(b));
  // Every key of either run, B's extra ones (more targets than A) where B has them.
  const keys = [...fa.keys()];
  let at = 0;
  for (const k of fb.keys()) {
    const i = keys.indexOf(k);
    if (i >= 0) at = i + 1;
    else keys.splice(at++, 0, k);
  }
  const rows = keys.map((k) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(fa.get(k) ?? '')}</td><td>${escapeHtml(fb.get(k) ?? '')}</td></tr>`);
  return `<table class="fields">\n<thead><tr><th></th><th>A</th><th>B</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

/** The HTML page of `bench compare`: both runs' context, the side-by-side table with B/A ratios, then both runs' charts overlaid (B dashed). */
export function renderCompareHtml(a: BenchReport, b: BenchReport, comparison: Comparison): string {
  const title = `LarchDB bench comparison: ${targetNames(a)} (A) vs ${targetNames(b)} (B)`;
  const align: Align[] = COMPARE_HEADERS.map((_, i) => (i < 2 ? 'l' : 'r'));
  const pairs = comparison.pairs.length > 0
    ? table('compare', COMPARE_HEADERS, comparison.pairs.map((p) => ({ cells: pairCells(p) })), align)
    : '<p class="no-data">no measurement label is in both runs</p>';
  const unpaired: string[] = [];
  if (comparison.onlyInA.length > 0) unpaired.push(`only in A: ${comparison.onlyInA.join(', ')}`);
  if (comparison.onlyInB.length > 0) unpaired.push(`only in B: ${comparison.onlyInB.join(', ')}`);
  const runs = [{ name: 'A', report: a }, { name: 'B', report: b }];
  const sections = chartSections(runs);
  const body = [
    `<header><h1>${escapeHtml(title)}</h1><p class="sub">Ratios are B/A: throughput above ×1 and latency below ×1 mean B is faster. In the charts B is dashed.</p></header>`,
    '<section id="runs"><h2>Runs</h2>',
    sideBySideFields(a, b),
    '</section>',
    '<section id="comparison"><h2>Side by side</h2>',
    pairs,
    unpaired.length > 0 ? list('notes', unpaired) : '',
    comparison.warnings.length > 0 ? `<h2>Warnings</h2>\n${list('warnings', comparison.warnings)}` : '',
    '</section>',
    sectionsHtml(sections, NO_DATA.replace('this run', 'these runs')),
  ].join('\n');
  return pageHtml(title, body, sections);
}
