/**
 * The bench reports: the JSON validates against its published schema (and the schema agrees with report.ts), the
 * text table and `bench compare` show the right figures, and the HTML pages draw every chart in a real headless
 * Chromium (Debian's) with no network and no console error. Screenshots go to a temporary folder, removed after
 * the run unless LARCHDB_KEEP_SCREENSHOTS is set (its path is printed as a test diagnostic).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareReports, formatCompareText } from '../bench/harness/compare.js';
import type { BenchReport, ClientCpu, CdfPoint, DatasetInfo, Environment, LatencyStats, Measurement, MeasurementParams, RunSettings, TargetInfo, TimelinePoint } from '../bench/harness/report.js';
import type { ChartSection, ChartSpec } from '../bench/harness/report-charts.js';
import { renderCompareHtml, renderHtml } from '../bench/harness/report-html.js';
import { REPORT_SCHEMA_URL, readReport, reportSchema, validateReport } from '../bench/harness/report-schema.js';
import { formatText } from '../bench/harness/report-text.js';
import { SAMPLE_TARGETS, SERVER, sampleReport } from './bench-report-sample.js';
import { OUT, assertDrawn, expectedCharts, openInChromium } from './browser-report.js';

after(() => {
  if (!process.env.LARCHDB_KEEP_SCREENSHOTS) rmSync(OUT, { recursive: true, force: true });
});

const clone = <T>(x: T): T => structuredClone(x);

/** T with every optional property present: a value of this type uses every field the interface declares. */
type Full<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
/** The optional keys of T, as a record the compiler makes us fill in completely. */
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Optionals<T> = Record<OptionalKeys<T>, true>;

const fullParams: Full<MeasurementParams> = { concurrency: 8, topK: 10, includeValues: true, includeMetadata: true, selectivity: 0.1, actualSelectivity: 0.1003, ef: 64, rate: 500, batchSize: 100, writeRatio: 0.1 };
const fullPoint: Full<TimelinePoint> = { tMs: 0, ops: 10, errors: 1, p50Ms: 1, p99Ms: 3, recall: 0.9 };
const fullRepeat: Full<Measurement['repeats'][number]> = { throughput: 100, p50Ms: 1, p99Ms: 3, recall: 0.9 };
const fullMeasurement = (base: Measurement): Full<Measurement> => ({
  ...base,
  label: 'every field',
  params: fullParams,
  records: 1000,
  recall: 0.9,
  timeline: [fullPoint],
  repeats: [fullRepeat],
  searchableMs: 12,
  indexedMs: null,
  notes: ['a note'],
  failed: 'a failure',
});

test('the sample report validates against the published schema, as JSON text too', () => {
  const report = sampleReport();
  assert.equal(validateReport(report), report);
  assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report))), report);
  assert.deepEqual(report.targets.map((t) => [t.name, t.kind]), [['memory', 'memory'], [SERVER, 'larchdb-url'], ['hnswlib', 'hnswlib']]);
  assert.deepEqual(report.settings.targets, SAMPLE_TARGETS);
  for (const t of report.targets) {
    const ms = report.measurements.filter((m) => m.target === t.name);
    assert.equal(ms.length, 14, t.name);
    assert.ok(ms.every((m) => m.label.startsWith(`${t.name} · `)), `${t.name}: labels start with the target's name`);
    const kinds = new Set(ms.map((m) => m.workload));
    assert.deepEqual([...kinds].sort(), ['ef-sweep', 'filtered', 'mixed', 'open-loop', 'query', 'streaming', 'upsert'], t.name);
  }
  assert.deepEqual(report.measurements.filter((m) => m.failed !== undefined).map((m) => m.label), [`${SERVER} · query c=64`]);
  // One target: labels as they were before runs could have several.
  const single = sampleReport(1, 0, ['memory']);
  assert.equal(validateReport(single), single);
  assert.deepEqual(single.measurements.slice(0, 3).map((m) => m.label), ['upsert b=100', 'query c=1', 'query c=8']);
});

test('schema and report.ts agree: the same properties, the same required ones', () => {
  const schema = reportSchema();
  const defs = schema.$defs as Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
  const sample = sampleReport();
  const m = fullMeasurement(sample.measurements[1]!);
  // A report using every optional field validates.
  validateReport({ ...sample, measurements: [...sample.measurements, m] });
  const l: LatencyStats = m.latency;
  const cpu: ClientCpu = m.clientCpu;
  const cdf: CdfPoint = m.cdf[0]!;
  const env: Environment = sample.environment;
  const set: RunSettings = sample.settings;
  const data: DatasetInfo = sample.dataset;
  const target: TargetInfo = sample.targets[0]!;
  // Each value is typed Full<T> or T with no optional fields, so its keys are exactly the interface's.
  const objects: Record<string, [object, Record<string, true>]> = {
    BenchReport: [sample, {}],
    Environment: [env, {}],
    RunSettings: [set, {}],
    DatasetInfo: [data, {}],
    TargetInfo: [target, {}],
    LatencyStats: [l, {}],
    CdfPoint: [cdf, {}],
    ClientCpu: [cpu, {}],
    TimelinePoint: [fullPoint, { recall: true } satisfies Optionals<TimelinePoint>],
    Repeat: [fullRepeat, { recall: true } satisfies Optionals<Measurement['repeats'][number]>],
    MeasurementParams: [fullParams, { concurrency: true, topK: true, includeValues: true, includeMetadata: true, selectivity: true, actualSelectivity: true, ef: true, rate: true, batchSize: true, writeRatio: true } satisfies Optionals<MeasurementParams>],
    Measurement: [m, { records: true, recall: true, searchableMs: true, indexedMs: true, notes: true, failed: true } satisfies Optionals<Measurement>],
  };
  const withProperties = Object.keys(defs).filter((k) => defs[k]!.properties);
  assert.deepEqual(withProperties.sort(), Object.keys(objects).sort(), 'every object type of report.ts has a schema definition');
  for (const [name, [value, optional]] of Object.entries(objects)) {
    const keys = Object.keys(value).sort();
    assert.deepEqual(Object.keys(defs[name]!.properties!).sort(), keys, `${name}: properties`);
    assert.deepEqual([...(defs[name]!.required ?? [])].sort(), keys.filter((k) => !(k in optional)), `${name}: required`);
  }
});

test('the schema catches drift: an unknown property, a wrong enum, another format version, a label used twice', () => {
  const bad = (mutate: (r: BenchReport & Record<string, unknown>) => void, message: RegExp): void => {
    const r = clone(sampleReport()) as BenchReport & Record<string, unknown>;
    mutate(r);
    assert.throws(() => validateReport(r), message);
    assert.throws(() => validateReport(r), (e: Error) => !e.message.includes('\n'));
  };
  bad((r) => { r.extra = 1; }, /invalid bench report: \(the report\) must NOT have additional properties 'extra'/);
  bad((r) => { (r.measurements[0] as unknown as Record<string, unknown>).qps = 1; }, /\/measurements\/0 must NOT have additional properties 'qps'/);
  bad((r) => { (r.measurements[1] as { workload: string }).workload = 'search'; }, /\/measurements\/1\/workload must be equal to one of the allowed values: \["upsert",/);
  bad((r) => { (r.targets[1] as { kind: string }).kind = 'qdrant'; }, /\/targets\/1\/kind must be equal to one of the allowed values/);
  bad((r) => { r.targets = []; }, /\/targets must NOT have fewer than 1 items/);
  bad((r) => { delete (r.measurements[0] as Partial<Measurement>).target; }, /\/measurements\/0 must have required property 'target'/);
  bad((r) => { r.targets[2]!.name = 'memory'; }, /target name 'memory' is used twice/);
  bad((r) => { r.measurements[5]!.target = 'qdrant'; }, /measurement 'memory · filtered s=0\.1' names target 'qdrant', which is not in targets/);
  bad((r) => { (r.measurements[1] as { throughputUnit: string }).throughputUnit = 'qps'; }, /throughputUnit must be equal to one of the allowed values/);
  bad((r) => { delete (r.dataset as Partial<DatasetInfo>).metric; }, /\/dataset must have required property 'metric'/);
  bad((r) => { r.measurements[1]!.recall = 1.5; }, /\/measurements\/1\/recall must be <= 1/);
  bad((r) => { r.startedAt = 'yesterday'; }, /\/startedAt must match pattern/);
  bad((r) => { (r as { formatVersion: number }).formatVersion = 2; }, /: bench report is format 2; this larchdb reads format 1$/);
  bad((r) => { r.measurements[2]!.label = r.measurements[1]!.label; }, /label 'memory · query c=1' is used twice/);
  assert.throws(() => validateReport(null), /invalid bench report/);
});

test('readReport reads a report file, and names the file when it is missing, not JSON or invalid', () => {
  const good = join(OUT, 'good.json');
  writeFileSync(good, JSON.stringify(sampleReport(), null, 2));
  assert.deepEqual(readReport(good), sampleReport());
  const missing = join(OUT, 'missing.json');
  assert.throws(() => readReport(missing), { message: `cannot read bench report ${missing}: ENOENT` });
  const notJson = join(OUT, 'not.json');
  writeFileSync(notJson, '{"formatVersion": 1,');
  assert.throws(() => readReport(notJson), (e: Error) => e.message.startsWith(`bench report ${notJson} is not JSON: `) && !e.message.includes('\n'));
  const invalid = join(OUT, 'invalid.json');
  writeFileSync(invalid, JSON.stringify({ ...sampleReport(), warnings: 'none' }));
  assert.throws(() => readReport(invalid), { message: `${invalid}: invalid bench report: /warnings must be array` });
});

test('the schema ships beside the compiled harness, with the $id report.ts names', () => {
  const path = fileURLToPath(REPORT_SCHEMA_URL);
  assert.match(path, /dist[/\\]bench[/\\]harness[/\\]report\.schema\.json$/);
  assert.deepEqual(reportSchema(), JSON.parse(readFileSync(new URL('../../bench/harness/report.schema.json', import.meta.url), 'utf8')));
});

/** The cells of the text table's row that starts with `first` then `second` (the label, or the target then the label). */
function textRow(lines: string[], first: string, second?: string): string[] {
  const line = lines.find((l) => {
    const cells = l.trim().split(/\s{2,}/);
    return cells[0] === first && (second === undefined || cells[1] === second);
  });
  assert.ok(line, `a row ${first} ${second ?? ''}`);
  return line.trim().split(/\s{2,}/);
}

test('formatText: every target in the header, a target column, one row per measurement with its figures, notes and warnings', () => {
  const report = sampleReport();
  const text = formatText(report);
  const lines = text.split('\n');
  assert.match(text, /^LarchDB bench report\n/);
  assert.match(text, /\ntarget 1 {6}memory \(memory\): in-process LarchDB, in memory\n/);
  assert.match(text, /\ntarget 2 {6}http:\/\/127\.0\.0\.1:5080 \(larchdb-url\): LarchDB server at http:\/\/127\.0\.0\.1:5080\n/);
  assert.match(text, /\ntarget 3 {6}hnswlib \(hnswlib\): hnswlib-node 3\.0\.0 \(M 16, efConstruction 200, single thread\)\n/);
  assert.match(text, /\ndataset {7}random-16k-64: 16,384 × 64 cosine, 500 queries\n/);
  assert.match(text, /\nground truth {2}computed, k=100\n/);
  assert.match(text, /\nmachine {7}AMD EPYC 7B13 × 8 cores, 32\.0 GiB, linux\/x64, load avg 0\.42\n/);
  assert.match(text, /\nsoftware {6}node v20\.20\.2, larchdb 0\.1\.0, hnswlib-node 3\.0\.0\n/);
  assert.match(text, /concurrency 1,8,64, topK 10, selectivity 0\.01,0\.1,0\.5, ef 16,32,64,128, rate 1,000\/s, duration 10 s, warm-up 2 s, repeats 3/);
  const header = lines.find((l) => l.startsWith('target  '))!;
  assert.match(header, /^target +measurement +throughput +p50 ms +p95 ms/);
  const row = (target: string, label: string): string[] => textRow(lines, target, label);
  assert.deepEqual(row('memory', 'upsert b=100'), ['memory', 'upsert b=100', '25,600 records/s', '3.20', '5.60', '8.00', '14.4', '—', '0', '40%']);
  assert.deepEqual(row('memory', 'query c=1'), ['memory', 'query c=1', '1,024 queries/s', '0.800', '1.40', '2.00', '3.60', '0.953', '0', '40%']);
  assert.deepEqual(row(SERVER, 'query c=1'), [SERVER, 'query c=1', '512 queries/s', '1.60', '2.80', '4.00', '7.20', '0.953', '0', '40%']);
  assert.deepEqual(row('hnswlib', 'query c=1'), ['hnswlib', 'query c=1', '2,048 queries/s', '0.400', '0.700', '1.00', '1.80', '0.943', '0', '40%']);
  assert.deepEqual(row(SERVER, 'query c=8'), [SERVER, 'query c=8', '2,048 queries/s', '3.20', '5.60', '8.00', '14.4', '0.953', '0', '95% (client-bound)']);
  assert.deepEqual(row(SERVER, 'query c=64'), [SERVER, 'query c=64', '2,560 queries/s', '18.0', '31.5', '45.0', '81.0', '0.953', '17', '40%', 'FAILED']);
  assert.deepEqual(row('memory', 'query c=64'), ['memory', 'query c=64', '5,120 queries/s', '9.00', '15.8', '22.5', '40.5', '0.953', '0', '40%']);
  assert.deepEqual(row('hnswlib', 'mixed w=0.1'), ['hnswlib', 'mixed w=0.1', '5,120 ops/s', '1.10', '1.93', '2.75', '4.95', '0.938', '0', '40%']);
  // Every measurement has its row, grouped by target in run order, and no label repeats its target's name.
  const rows = lines.slice(lines.indexOf(header) + 2, lines.indexOf(header) + 2 + report.measurements.length);
  assert.deepEqual(rows.map((l) => l.split(/\s{2,}/)[0]), report.measurements.map((m) => m.target));
  assert.deepEqual(rows.map((l) => l.split(/\s{2,}/)[1]), report.measurements.map((m) => m.label.slice(m.target.length + 3)));
  assert.ok(rows.every((l) => !l.includes(' · ')), 'labels in the table carry no target prefix');
  // Columns line up: every row's throughput ends where its header does.
  const end = header.indexOf('throughput') + 'throughput'.length;
  for (const l of rows) assert.equal(l.indexOf('/s') + 2, end, l);
  // Notes and warnings use full labels: each names its target.
  assert.match(text, /\nNotes\n {2}memory · upsert b=100: searchable after 120 ms, indexed: not measured\n {2}memory · upsert b=100: indexedMs: the in-memory/);
  assert.match(text, /\n {2}http:\/\/127\.0\.0\.1:5080 · upsert b=100: searchable after 240 ms, indexed after 850 ms\n/);
  assert.match(text, /\n {2}http:\/\/127\.0\.0\.1:5080 · query c=64: failed: target exited \(signal SIGKILL\) 3\.2 s into the measurement\n/);
  assert.match(text, /\n {2}http:\/\/127\.0\.0\.1:5080 · query c=64: 17 errors, e\.g\. "connect ECONNREFUSED 127\.0\.0\.1:5080"; "socket hang up"\n/);
  assert.match(text, /\n {2}http:\/\/127\.0\.0\.1:5080 · query c=8: the load generator was the limit \(2 threads at 95%\)/);
  assert.match(text, /\nWarnings\n {2}http:\/\/127\.0\.0\.1:5080 · open-loop r=1000: 3 requests started more than 10 ms late/);
  assert.doesNotMatch(text, /\x1b/, 'no colour codes');

  // Targets interleaved by the run still read as one group per target, in the order the targets ran.
  const mixed = clone(report);
  mixed.measurements = [...mixed.measurements].sort((a, b) => a.label.slice(a.target.length).localeCompare(b.label.slice(b.target.length)));
  const mixedLines = formatText(mixed).split('\n');
  const first = mixedLines.findIndex((l) => l.startsWith('target  ')) + 2;
  const targetsInOrder = mixedLines.slice(first, first + report.measurements.length).map((l) => l.split(/\s{2,}/)[0]);
  assert.deepEqual(targetsInOrder, [...Array(14).fill('memory'), ...Array(14).fill(SERVER), ...Array(14).fill('hnswlib')]);
});

test('formatText with one target: no target column, labels as they are, the target on one header line', () => {
  const report = sampleReport(1, 0, [SERVER]);
  const text = formatText(report);
  const lines = text.split('\n');
  assert.match(text, /\ntarget {8}http:\/\/127\.0\.0\.1:5080 \(larchdb-url\): LarchDB server at http:\/\/127\.0\.0\.1:5080\n/);
  assert.doesNotMatch(text, /\ntarget [0-9]/);
  const header = lines.find((l) => l.startsWith('measurement'))!;
  assert.match(header, /^measurement +throughput +p50 ms +p95 ms/);
  assert.deepEqual(textRow(lines, 'query c=1'), ['query c=1', '512 queries/s', '1.60', '2.80', '4.00', '7.20', '0.953', '0', '40%']);
  assert.deepEqual(textRow(lines, 'query c=64'), ['query c=64', '2,560 queries/s', '18.0', '31.5', '45.0', '81.0', '0.953', '17', '40%', 'FAILED']);
  for (const m of report.measurements) assert.ok(textRow(lines, m.label), m.label);
  const end = header.indexOf('throughput') + 'throughput'.length;
  for (const m of report.measurements) assert.equal(lines.find((l) => l.startsWith(`${m.label}  `))!.indexOf('/s') + 2, end, m.label);
  assert.match(text, /\n {2}query c=64: failed: target exited/);
  assert.match(text, /\nWarnings\n {2}open-loop r=1000: 3 requests started more than 10 ms late/);
  assert.doesNotMatch(text, / · /, 'no target prefix anywhere');
});

test('bench compare pairs by label with exact B/A ratios, lists unpaired labels, and warns about unfair differences', () => {
  const a = sampleReport();
  const b = sampleReport(2, 0.01);
  const streaming = `${SERVER} · streaming`;
  b.measurements = b.measurements.filter((m) => m.label !== streaming);
  b.measurements.push({ ...clone(b.measurements[1]!), label: 'memory · query c=16', params: { concurrency: 16, topK: 10 } });
  validateReport(b);
  const c = compareReports(a, b);
  assert.equal(c.pairs.length, a.measurements.length - 1);
  assert.deepEqual(c.onlyInA, [streaming]);
  assert.deepEqual(c.onlyInB, ['memory · query c=16']);
  for (const p of c.pairs) {
    assert.equal(p.a.target, p.b.target, p.label);
    assert.equal(p.throughputRatio, 2, p.label);
    assert.equal(p.p50Ratio, 0.5, p.label);
    assert.equal(p.p99Ratio, 0.5, p.label);
    assert.equal(p.recallDelta, p.a.recall === undefined ? null : 0.01, p.label);
  }
  assert.deepEqual(c.pairs.map((p) => p.label), a.measurements.map((m) => m.label).filter((l) => l !== streaming));
  // Same machine, dataset, settings and targets: only what each pair itself says.
  assert.deepEqual(c.warnings, [
    `${SERVER} · query c=8: client-bound in A; its throughput may be understated`,
    `${SERVER} · query c=8: client-bound in B; its throughput may be understated`,
    `${SERVER} · query c=64: failed in A (target exited (signal SIGKILL) 3.2 s into the measurement); its figures cover only what completed`,
    `${SERVER} · query c=64: failed in B (target exited (signal SIGKILL) 3.2 s into the measurement); its figures cover only what completed`,
  ]);
  assert.deepEqual(c.a.targets, a.targets.map((t) => `${t.name} (${t.kind}): ${t.description}`));
  const text = formatCompareText(c);
  const row = text.split('\n').find((l) => l.startsWith('hnswlib · query c=1  '))!.trim().split(/\s{2,}/);
  assert.deepEqual(row, ['hnswlib · query c=1', 'queries/s', '2,048', '4,096', '×2.00', '0.400', '0.200', '×0.50', '1.00', '0.500', '×0.50', '0.943', '0.953', '+0.010']);
  assert.match(text, /\nA {2}dataset random-16k-64, started 2026-03-02T10:15:00\.000Z\n {5}memory \(memory\): in-process LarchDB, in memory\n {5}http:\/\/127\.0\.0\.1:5080 \(larchdb-url\): LarchDB server at http:\/\/127\.0\.0\.1:5080\n {5}hnswlib \(hnswlib\): hnswlib-node 3\.0\.0/);
  assert.match(text, /\nOnly in A \(1\): http:\/\/127\.0\.0\.1:5080 · streaming\n/);
  assert.match(text, /\nOnly in B \(1\): memory · query c=16\n/);
  assert.match(text, /^memory · upsert b=100 +records\/s +25,600 +51,200 +×2\.00 .* —  +—  +—$/m);

  const other = sampleReport();
  other.dataset = { ...other.dataset, name: 'sift-128', dimension: 128, metric: 'euclidean' };
  other.environment = { ...other.environment, cpuModel: 'Apple M2', cpus: 8, arch: 'arm64', platform: 'darwin', node: 'v22.1.0', loadAverage: 6.5 };
  other.settings = { ...other.settings, topK: 100, durationMs: 30_000 };
  other.measurements[1]!.params = { ...other.measurements[1]!.params, includeValues: true };
  const unfair = compareReports(a, other).warnings;
  assert.deepEqual(unfair.slice(0, 6), [
    'different datasets: name random-16k-64 vs sift-128, dimension 64 vs 128, metric cosine vs euclidean',
    'different machines: cpu AMD EPYC 7B13 vs Apple M2, platform linux/x64 vs darwin/arm64',
    'different Node.js versions: v20.20.2 vs v22.1.0',
    'different topK: 10 vs 100 (recall and latency are not comparable)',
    'different settings: duration 10 s vs 30 s',
    'the machine was busy when run B started (load avg 6.50 on 8 cores)',
  ]);
  assert.ok(unfair.some((w) => w.startsWith('memory · query c=1: parameters differ')), unfair.join('\n'));
});

test('bench compare warns when the target lists differ, and not when two single-target runs compare two systems', () => {
  const a = sampleReport();
  const twoTargets = sampleReport(1, 0, ['memory', 'hnswlib']);
  assert.deepEqual(compareReports(a, twoTargets).warnings.filter((w) => !w.includes(' · ')), [
    `different targets: memory, ${SERVER}, hnswlib vs memory, hnswlib (a target's measurements pair only when both runs measured it)`,
  ]);
  const renamed = sampleReport();
  renamed.targets[1] = { ...renamed.targets[1]!, kind: 'pinecone' };
  assert.deepEqual(compareReports(a, renamed).warnings.filter((w) => !w.includes(' · ')), [`target ${SERVER} is larchdb-url in A but pinecone in B`]);
  const memoryOnly = sampleReport(1, 0, ['memory']);
  const c = compareReports(memoryOnly, a);
  assert.equal(c.pairs.length, 0);
  assert.deepEqual(c.warnings.filter((w) => !w.includes(' · ')), [
    `different targets: memory vs memory, ${SERVER}, hnswlib (a target's measurements pair only when both runs measured it)`,
    "A measured one target, B several: A's labels carry no target name, so they pair with none of B's",
  ]);
  // memory vs hnswlib, one target each: what compare is for; pairs by label, no target warning.
  const hnsw = sampleReport(1, 0, ['hnswlib']);
  const systems = compareReports(memoryOnly, hnsw);
  assert.equal(systems.pairs.length, memoryOnly.measurements.length);
  assert.deepEqual(systems.warnings, []);
  assert.equal(systems.pairs.find((p) => p.label === 'query c=1')!.throughputRatio, 2);
});

test('the HTML page is one self-contained file: uPlot inlined, data as escaped JSON, nothing to fetch', () => {
  const html = renderHtml(sampleReport());
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes(readFileSync(new URL('../../node_modules/uplot/dist/uPlot.min.css', import.meta.url), 'utf8')), 'uPlot CSS inlined');
  assert.ok(html.includes('var uPlot=function(){'), 'uPlot script inlined');
  assert.doesNotMatch(html, /<link|<img|<iframe|\b(src|href)\s*=|@import|url\(/i);
  // The URLs are the licence banner of uPlot's script (a comment) and the server target's name, as text.
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^\s"'<>),\\]+/g))], ['http://127.0.0.1:5080', 'https://github.com/leeoniya/uPlot']);
  assert.match(html, /<title>LarchDB bench: memory, http:\/\/127\.0\.0\.1:5080, hnswlib on random-16k-64<\/title>/);
  // The table has a target column; each target's first row is marked so the groups read apart.
  assert.match(html, /<table class="measurements">\n<thead><tr><th>target<\/th><th>measurement<\/th>/);
  assert.equal(html.match(/<tr class="first-of-target">/g)?.length, 2);
  assert.match(html, /<tr class="failed"><td class="target">http:\/\/127\.0\.0\.1:5080<\/td><td>query c=64<\/td>/);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  const hostile = sampleReport();
  hostile.measurements[1]!.label = 'q</script><b>x';
  const page = renderHtml(hostile);
  assert.ok(!page.includes('q</script>'), 'a label cannot end a script element');
  assert.ok(page.includes('q&lt;/script&gt;&lt;b&gt;x'), 'labels are escaped in tables');
  // A run with only upserts says which charts have no data.
  const upserts = sampleReport();
  upserts.measurements = upserts.measurements.filter((m) => m.workload === 'upsert');
  const small = renderHtml(upserts);
  for (const kind of ['recall-vs-qps', 'throughput-per-concurrency', 'filtered-recall']) {
    assert.match(small, new RegExp(`id="section-${kind}"[^]*?<p class="no-data">no data for this chart in this run</p>`), kind);
  }
  assert.equal(small.match(/data-chart="/g)?.length, 4, "each target's upsert timeline, and the upsert CDF");
});

/** The chart specs of a page, by id. */
function chartsOf(html: string): { sections: ChartSection[]; chart: (id: string) => ChartSpec } {
  const json = html.match(/<script type="application\/json" id="chart-data">(.*?)<\/script>/s)![1]!;
  const sections = JSON.parse(json) as ChartSection[];
  return { sections, chart: (id: string) => sections.flatMap((x) => x.charts).find((c) => c.id === id)! };
}

const SUMMARY_CHARTS = ['chart-recall-vs-qps', 'chart-throughput-per-concurrency', 'chart-filtered-recall'];

test('the charts hold the right points: one series per target, CDF on a nines scale, failed measurements out of the summary charts', () => {
  const { sections, chart } = chartsOf(renderHtml(sampleReport()));
  const cdf = chart('chart-cdf-query');
  assert.deepEqual(cdf.x, { label: 'percentile', nines: true, maxAt: 5 });
  assert.deepEqual(cdf.data[0]!.map((x) => Number(x!.toFixed(3))), [0, 0.046, 0.125, 0.301, 0.602, 1, 1.301, 2, 3, 4, 5]);
  assert.deepEqual(cdf.series.map((x) => x.label), SAMPLE_TARGETS.flatMap((t) => ['c=1', 'c=8', 'c=64'].map((c) => `${t} · query ${c}`)));
  assert.deepEqual(cdf.data[1]!.at(-1), 0.8 * 4.5, 'max latency at the max tick');

  const recall = chart('chart-recall-vs-qps');
  assert.deepEqual(recall.series.map((x) => [x.label, x.line, x.secondary]), SAMPLE_TARGETS.flatMap((t) => [[`${t} · ef-sweep`, true, false], [`${t} · query`, false, false], [`${t} · filtered`, false, true]]));
  const column = (c: ChartSpec, label: string): (number | null)[] => c.data[c.series.findIndex((x) => x.label === label) + 1]!.filter((y) => y !== null);
  // memory's c=1 and c=8 have the same recall: both points stay; the server's failed c=64 is left out.
  assert.deepEqual(column(recall, 'memory · query'), [1024, 4096, 5120]);
  assert.deepEqual(column(recall, `${SERVER} · query`), [512, 2048]);
  assert.deepEqual(column(recall, 'hnswlib · query'), [2048, 8192, 10240]);
  assert.deepEqual(column(recall, 'hnswlib · ef-sweep'), [16384, 12288, 8192, 4096]);

  const perC = chart('chart-throughput-per-concurrency');
  assert.deepEqual(perC.series.map((x) => `${x.label}/${x.scale}`), SAMPLE_TARGETS.flatMap((t) => [`${t} · QPS/y`, `${t} · p99 ms/y2`]));
  assert.deepEqual(perC.data, [[1, 8, 64], [1024, 4096, 5120], [2, 4, 22.5], [512, 2048, null], [4, 8, null], [2048, 8192, 10240], [1, 2, 11.25]]);

  const filtered = chart('chart-filtered-recall');
  assert.deepEqual(filtered.series.map((x) => `${x.label}/${x.scale}`), SAMPLE_TARGETS.flatMap((t) => [`${t} · recall/y`, `${t} · QPS/y2`]));
  const recalls = [0.985, 0.962, 0.957];
  assert.deepEqual(filtered.data, [[0.0102, 0.0998, 0.5003], recalls, [6144, 3072, 3584], recalls, [3072, 1536, 1792], recalls.map((x) => x + 0 + -0.01), [12288, 6144, 7168]]);

  // One colour per target, the same on every summary chart; distinct between targets.
  const colours = SAMPLE_TARGETS.map((t) => recall.series.find((x) => x.label.startsWith(`${t} · `))!.color);
  assert.equal(new Set(colours).size, SAMPLE_TARGETS.length, 'distinct colours');
  for (const id of SUMMARY_CHARTS) {
    const byTarget = SAMPLE_TARGETS.map((t) => [...new Set(chart(id).series.filter((x) => x.label.startsWith(`${t} · `)).map((x) => x.color))]);
    assert.deepEqual(byTarget, colours.map((c) => [c]), `${id}: each target's series in its colour`);
  }

  // Timelines stay per measurement, titled by label (which names the target).
  const streaming = sections[0]!.charts.find((c) => c.title === 'memory · streaming')!;
  assert.deepEqual(streaming.series.map((x) => `${x.label}/${x.scale}`), ['p50/y', 'p99/y', 'recall/y2']);
  assert.equal(streaming.data[3]![9], 0.97 - 0.004 * 9);
  assert.equal(sections[0]!.charts.length, sampleReport().measurements.length);
});

test('one target: the summary charts keep a colour per figure and unprefixed series labels', () => {
  const { chart } = chartsOf(renderHtml(sampleReport(1, 0, ['memory'])));
  const recall = chart('chart-recall-vs-qps');
  assert.deepEqual(recall.series.map((x) => [x.label, x.line]), [['ef-sweep', true], ['query', false], ['filtered', false]]);
  assert.equal(new Set(recall.series.map((x) => x.color)).size, 3);
  assert.deepEqual(recall.data[2]!.filter((y) => y !== null), [1024, 4096, 5120]);
  assert.deepEqual(chart('chart-throughput-per-concurrency').data, [[1, 8, 64], [1024, 4096, 5120], [2, 4, 22.5]]);
  assert.deepEqual(chart('chart-filtered-recall').data, [[0.0102, 0.0998, 0.5003], [0.985, 0.962, 0.957], [6144, 3072, 3584]]);
  // A comparison of two runs of the same target: A and B, B dashed, one colour per figure.
  const a = sampleReport(1, 0, ['memory']);
  const b = sampleReport(2, 0, ['memory']);
  const perC = chartsOf(renderCompareHtml(a, b, compareReports(a, b))).chart('chart-throughput-per-concurrency');
  assert.deepEqual(perC.series.map((x) => [x.label, x.dash]), [['A: QPS', false], ['A: p99 ms', false], ['B: QPS', true], ['B: p99 ms', true]]);
});


/** The series each summary chart's legend should name: per run (prefix), per target, each figure. */
const SUMMARY_FIGURES: Record<string, string[]> = {
  'chart-recall-vs-qps': ['ef-sweep', 'query', 'filtered'],
  'chart-throughput-per-concurrency': ['QPS', 'p99 ms'],
  'chart-filtered-recall': ['recall', 'QPS'],
};

/** Each summary chart, as drawn, has one legend entry per run, target and figure; one marker colour per target. */
function assertTargetSeries(got: Awaited<ReturnType<typeof openInChromium>>, runs: string[], targets: readonly string[]): void {
  for (const [id, figures] of Object.entries(SUMMARY_FIGURES)) {
    const c = got.charts.find((x) => x.id === id)!;
    const want = runs.flatMap((run) => targets.flatMap((t) => figures.map((f) => `${run}${t} · ${f}`)));
    assert.deepEqual(c.legend.slice(1), want, `${id}: legend`);
    const colour = (t: string): string[] => [...new Set(c.markers.filter((_, i) => i > 0 && c.legend[i]!.includes(`${t} · `)))];
    const perTarget = targets.map(colour);
    assert.ok(perTarget.every((cs) => cs.length === 1), `${id}: one colour per target (${JSON.stringify(perTarget)})`);
    assert.equal(new Set(perTarget.flat()).size, targets.length, `${id}: distinct colours per target`);
  }
}

test('the HTML report draws every chart in headless Chromium, offline, with no console error', async (t) => {
  const report = sampleReport();
  const got = await openInChromium(t, renderHtml(report), 'report');
  assert.equal(expectedCharts([report]), 3 * 14 + 7 + 3);
  assertDrawn(got, expectedCharts([report]));
  assertTargetSeries(got, [''], SAMPLE_TARGETS);
});

test('a single-target HTML report draws every chart in headless Chromium as before', async (t) => {
  const report = sampleReport(1, 0, [SERVER]);
  const got = await openInChromium(t, renderHtml(report), 'report-single');
  assert.equal(expectedCharts([report]), 14 + 7 + 3);
  assertDrawn(got, expectedCharts([report]));
  assert.deepEqual(got.charts.find((c) => c.id === 'chart-throughput-per-concurrency')!.legend, ['concurrent requests', 'QPS', 'p99 ms']);
});

test('the compare page draws both runs in headless Chromium, offline, with no console error', async (t) => {
  const a = sampleReport();
  const b = sampleReport(2, 0.01);
  b.measurements = b.measurements.filter((m) => m.label !== `${SERVER} · streaming`);
  const got = await openInChromium(t, renderCompareHtml(a, b, compareReports(a, b)), 'compare');
  assertDrawn(got, expectedCharts([a, b]));
  assertTargetSeries(got, ['A: ', 'B: '], SAMPLE_TARGETS);
});
