/**
 * Plain-text formatting of bench figures, shared by the text report, the HTML page and `bench compare`, so one
 * number reads the same everywhere.
 *
 * @module
 */

/** Digits in groups of three: 12,345. */
export function fmtInt(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Milliseconds with about three significant digits (latencies span 0.05 ms to seconds). */
export function fmtMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return fmtInt(ms);
}

/** A rate: whole numbers from 100 up, a few decimals below. */
export function fmtRate(x: number): string {
  if (x >= 100) return fmtInt(x);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** Recall to 3 decimals, '—' when not measured. */
export function fmtRecall(r: number | undefined): string {
  return r === undefined ? '—' : r.toFixed(3);
}

/** A ratio b/a as '×1.23', '—' when undefined (a was zero or missing). */
export function fmtRatio(r: number | null): string {
  return r === null ? '—' : `×${r.toFixed(2)}`;
}

/** A signed recall difference, '—' when either side has none. */
export function fmtDelta(d: number | null): string {
  if (d === null) return '—';
  return `${d >= 0 ? '+' : '-'}${Math.abs(d).toFixed(3)}`;
}

/** A fraction as a percentage without decimals. */
export function fmtPct(f: number): string {
  return `${Math.round(f * 100)}%`;
}

/** Bytes in GiB, one decimal. */
export function fmtGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** A duration in seconds (ms below one second). */
export function fmtDuration(ms: number): string {
  return ms < 1000 ? `${fmtInt(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** Column alignment: numbers right, words left. */
export type Align = 'l' | 'r';

/**
 * A fixed-width table: columns two spaces apart, a rule under the header, trailing spaces trimmed. `align` holds one
 * entry per column (missing ones are left-aligned).
 */
export function layoutTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    widths
      .map((w, i) => (align[i] === 'r' ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
