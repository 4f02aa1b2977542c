/**
 * How long a large answer holds the server's event loop: while one large request runs (a fetch of 1000 ids × 768
 * dims, or a query with includeValues and topK 1000), a probe client sends small requests back to back
 * (`GET describe_index_stats`); the probes' latency during the large request shows how long the server could not
 * answer anything else. Part of bench/http-vs-inprocess.ts.
 *
 * The large answer is read as bytes and parsed only after the probing stops, so the client's own JSON parsing (in
 * this process, on this event loop) does not delay the probes.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './stats.js';

export type LargeKind = 'fetch' | 'query';

/** One large request and the probes that overlapped it. */
export interface LargeSample {
  kind: LargeKind;
  /** The large request's latency, to its last byte. */
  largeMs: number;
  /** Bytes of its body. */
  bytes: number;
  /** Probes that overlapped the large request. */
  probes: number;
  probeMaxMs: number;
  probeP99Ms: number;
  probeP50Ms: number;
}

export interface LargeIndex {
  /** Index host (base URL of the data plane). */
  host: string;
  headers: Record<string, string>;
  /** The records written, by id order `r0 … r<n-1>`. */
  vectors: number[][];
}

async function call(url: string, init: RequestInit): Promise<ArrayBuffer> {
  const res = await fetch(url, init);
  const body = await res.arrayBuffer();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url.slice(0, 120)}: HTTP ${res.status}: ${Buffer.from(body).toString('utf8', 0, 500)}`);
  return body;
}

/** Upserts `vectors` as `r<i>` (with a little metadata) in batches under the 2 MB body limit. */
export async function loadLargeIndex(ix: LargeIndex): Promise<void> {
  const dim = ix.vectors[0]!.length;
  const batch = Math.max(1, Math.floor(1_500_000 / (dim * 22 + 100)));
  for (let start = 0; start < ix.vectors.length; start += batch) {
    const vectors = ix.vectors.slice(start, start + batch).map((values, j) => ({ id: `r${start + j}`, values, metadata: { i: start + j } }));
    await call(`${ix.host}/vectors/upsert`, { method: 'POST', headers: ix.headers, body: JSON.stringify({ vectors }) });
  }
}

/** Runs one large request of `kind` with the probe going, and checks its answer against what was written. */
export async function largeSample(ix: LargeIndex, kind: LargeKind): Promise<LargeSample> {
  const n = ix.vectors.length;
  const probeHist = new LatencyHistogram();
  let largeStart = Infinity;
  let largeEnd = Infinity;
  let stop = false;
  let warm = 0;
  let warmed!: () => void;
  const ready = new Promise<void>((r) => (warmed = r));
  const probe = (async () => {
    while (!stop) {
      const t = performance.now();
      await call(`${ix.host}/describe_index_stats`, { headers: ix.headers });
      const e = performance.now();
      if (e >= largeStart && t <= largeEnd) probeHist.record(e - t);
      if (++warm === 5) warmed();
    }
  })();
  await ready;

  largeStart = performance.now();
  const body =
    kind === 'fetch'
      ? await call(`${ix.host}/vectors/fetch?${Array.from({ length: n }, (_, i) => `ids=r${i}`).join('&')}`, { headers: ix.headers })
      : await call(`${ix.host}/query`, {
          method: 'POST',
          headers: ix.headers,
          body: JSON.stringify({ vector: ix.vectors[0], topK: n, includeValues: true, includeMetadata: true }),
        });
  largeEnd = performance.now();
  stop = true;
  await probe;

  checkLarge(ix, kind, JSON.parse(Buffer.from(body).toString('utf8')));
  const p = probeHist.summary();
  return { kind, largeMs: largeEnd - largeStart, bytes: body.byteLength, probes: p.count, probeMaxMs: p.maxMs, probeP99Ms: p.p99Ms, probeP50Ms: p.p50Ms };
}

/** Every record came back, with the values written (to float32 precision). */
function checkLarge(ix: LargeIndex, kind: LargeKind, body: any): void {
  const records: { id: string; values: number[] }[] = kind === 'fetch' ? Object.values(body.vectors ?? {}) : body.matches ?? [];
  if (records.length !== ix.vectors.length) throw new Error(`large ${kind}: ${records.length} records, expected ${ix.vectors.length}`);
  for (const r of records) {
    const want = ix.vectors[Number(r.id.slice(1))]!;
    if (r.values.length !== want.length || r.values.some((v, j) => Math.fround(v) !== Math.fround(want[j]!))) {
      throw new Error(`large ${kind}: values of ${r.id} differ from what was written`);
    }
  }
}

/** Median of a list (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
