/**
 * The text report `larchdb bench` prints: the run's context, a fixed-width table of measurements, then the notes and
 * warnings. Plain characters only (no colour codes), so it pastes into an issue or a log as it is.
 *
 * @module
 */
import { layoutTable } from './format.js';
import type { BenchReport } from './report.js';
import { headerFields, measurementNotes, measurementTable } from './report-rows.js';

/**
 * The report as text: header lines (one per target), one table row per measurement (with a target column when the
 * run measured several), notes and warnings after. Ends with a newline.
 */
export function formatText(report: BenchReport): string {
  const fields = headerFields(report);
  const keyWidth = Math.max(...fields.map(([k]) => k.length));
  const lines = ['LarchDB bench report', ...fields.map(([k, v]) => `${k.padEnd(keyWidth)}  ${v}`), ''];
  if (report.measurements.length === 0) lines.push('(no measurements)');
  else {
    const t = measurementTable(report);
    lines.push(layoutTable(t.headers, t.rows, t.align));
  }
  const notes = report.measurements.flatMap((m) => measurementNotes(m).map((n) => `  ${m.label}: ${n}`));
  if (notes.length > 0) lines.push('', 'Notes', ...notes);
  if (report.warnings.length > 0) lines.push('', 'Warnings', ...report.warnings.map((w) => `  ${w}`));
  return lines.join('\n') + '\n';
}
