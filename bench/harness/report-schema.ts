/**
 * Reading reports back: a report file is checked against the published JSON Schema (report.schema.json, beside
 * this file in the source tree and in dist/) before `bench compare` or the HTML page trusts its shape.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { REPORT_FORMAT_VERSION, REPORT_SCHEMA_ID, type BenchReport } from './report.js';

/** Where the schema lives: read at run time, so the file that ships is the file that validates. */
export const REPORT_SCHEMA_URL = new URL('./report.schema.json', import.meta.url);

let validator: ValidateFunction | undefined;

/** The report's JSON Schema, parsed. */
export function reportSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(REPORT_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

function compiled(): ValidateFunction {
  if (validator) return validator;
  const schema = reportSchema();
  if (schema.$id !== REPORT_SCHEMA_ID) throw new Error(`report.schema.json has $id ${String(schema.$id)}, expected ${REPORT_SCHEMA_ID}`);
  const ajv = new Ajv2020({ allErrors: false, strict: true });
  // The pattern beside each `format: date-time` does the checking; the format stays as a hint for other readers.
  ajv.addFormat('date-time', true);
  validator = ajv.compile(schema);
  return validator;
}

/**
 * Checks that `x` is a bench report of this format version: throws an Error with one line naming what is wrong
 * (a newer or older format, the first schema violation, a label or target name used twice, or a measurement of a
 * target the report does not list).
 */
export function validateReport(x: unknown): BenchReport {
  const version = (x as { formatVersion?: unknown } | null)?.formatVersion;
  // The version first: a report of another format fails the schema in ways that hide the real cause.
  if (typeof x === 'object' && x !== null && version !== REPORT_FORMAT_VERSION) {
    throw new Error(`bench report is format ${JSON.stringify(version ?? null)}; this larchdb reads format ${REPORT_FORMAT_VERSION}`);
  }
  const validate = compiled();
  if (!validate(x)) {
    const e = validate.errors?.[0];
    const where = e ? e.instancePath || '(the report)' : '(the report)';
    const extra = e?.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : '';
    const allowed = e?.params && 'allowedValues' in e.params ? `: ${JSON.stringify(e.params.allowedValues)}` : '';
    throw new Error(`invalid bench report: ${where} ${e?.message ?? 'does not match the schema'}${extra}${allowed}`);
  }
  const report = x as BenchReport;
  // What JSON Schema cannot say: names and labels are unique, and each measurement names a target of the run.
  const names = new Set<string>();
  for (const t of report.targets) {
    if (names.has(t.name)) throw new Error(`invalid bench report: target name '${t.name}' is used twice`);
    names.add(t.name);
  }
  const seen = new Set<string>();
  for (const m of report.measurements) {
    if (seen.has(m.label)) throw new Error(`invalid bench report: measurement label '${m.label}' is used twice`);
    if (!names.has(m.target)) throw new Error(`invalid bench report: measurement '${m.label}' names target '${m.target}', which is not in targets`);
    seen.add(m.label);
  }
  return report;
}

/** Reads and validates a report file; any failure is an Error whose one line names the file. */
export function readReport(path: string): BenchReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read bench report ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`bench report ${path} is not JSON: ${(err as Error).message}`);
  }
  try {
    return validateReport(json);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}
