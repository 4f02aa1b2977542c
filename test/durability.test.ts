/**
 * The durable storage in-process: request-log recovery (torn tails, damage), memtable flushes and slab merges
 * under concurrent queries (always equal to a brute-force reference), and equal answers before and after a restart.
 * The kill -9 test of the server is durability-kill.test.ts; a full disk is disk-full.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LarchDB, type QueryResponse } from 'larchdb';
import { RequestLog, logRecordOf } from '../engine/storage/request-log.js';
import { SPEC, dense, rng, tempDir, topK } from './helpers.js';

const DIM = 16;

async function nsDir(data: string, index: string): Promise<string> {
  const entries = (await readdir(join(data, 'indexes', index))).filter((e) => e.startsWith('ns-'));
  assert.equal(entries.length, 1);
  return join(data, 'indexes', index, entries[0]!);
}

async function logFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'log'))).filter((f) => f.endsWith('.wal')).sort().map((f) => join(dir, 'log', f));
}

test('a torn final record is cut on open: every record before it is there, and writing goes on', async () => {
  const dir = await tempDir();
  try {
    let db = await LarchDB.open({ path: dir.path });
    await db.createIndex({ name: 't', dimension: 4, metric: 'euclidean', spec: SPEC });
    const idx = db.index('t');
    for (let b = 0; b < 10; b++) await idx.upsert([{ id: `r${b}`, values: [b, b, b, b], metadata: { b } }]);
    await db.close();

    const [log] = await logFiles(await nsDir(dir.path, 't'));
    const size = (await stat(log!)).size;
    // Cut the last record (upsert of r9) in the middle.
    await truncate(log!, size - 7);

    db = await LarchDB.open({ path: dir.path });
    const info = await db.storageInfo('t');
    assert.ok(info?.recovery?.torn, 'recovery reports the torn tail');
    assert.equal(info!.recovery!.torn!.file, log);
    assert.equal(info!.lsn, 9, 'LSNs 1..9 were replayed');
    const got = await db.index('t').fetch(Array.from({ length: 10 }, (_, b) => `r${b}`));
    assert.deepEqual(Object.keys(got.records).sort(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
    assert.deepEqual(got.records.r8, { id: 'r8', values: [8, 8, 8, 8], metadata: { b: 8 } });

    // The cut log takes new writes after the last good record; they survive the next restart.
    await db.index('t').upsert([{ id: 'after', values: [1, 0, 0, 0] }]);
    await db.close();
    db = await LarchDB.open({ path: dir.path });
    assert.equal((await db.index('t').describeIndexStats()).totalRecordCount, 10);
    assert.equal((await db.storageInfo('t'))!.recovery!.torn, undefined, 'nothing torn the second time');
    await db.close();

    // Cut in the middle of an earlier record: that record and everything after it were never acknowledged
    // as far as the log can tell, and everything before it is still there.
    const bytes = await readFile(log!);
    await writeFile(log!, bytes.subarray(0, Math.floor(bytes.length / 2)));
    db = await LarchDB.open({ path: dir.path });
    const n = (await db.index("t").describeIndexStats()).totalRecordCount ?? 0;
    const lsn = (await db.storageInfo('t'))!.lsn;
    assert.ok(n > 0 && n < 10, `a prefix of the writes remains (${n})`);
    assert.equal(n, lsn, 'one record per replayed upsert');
    const ids = Array.from({ length: n }, (_, b) => `r${b}`);
    assert.equal(Object.keys((await db.index('t').fetch(ids)).records).length, n, 'the remaining writes are exactly the first ones');
    await db.close();
  } finally {
    await dir.cleanup();
  }
});

test('damage before the last log segment refuses the open and names the file', async () => {
  const dir = await tempDir();
  try {
    const logDir = join(dir.path, 'log');
    const { log } = await RequestLog.open(logDir, { durability: 'fsync', afterLsn: 0, fileBytes: 200 }, () => undefined);
    const body = new Uint8Array(100).fill(7);
    for (let lsn = 1; lsn <= 12; lsn++) await log.append(lsn, 1, logRecordOf(body));
    await log.close();
    const files = (await readdir(logDir)).sort();
    assert.ok(files.length >= 3, `the log rolled into several segments (${files.length})`);

    const seen: number[] = [];
    await RequestLog.open(logDir, { durability: 'fsync', afterLsn: 4, fileBytes: 200 }, (e) => seen.push(e.lsn));
    assert.deepEqual(seen, [5, 6, 7, 8, 9, 10, 11, 12], 'replay starts after afterLsn, in order');

    const middle = join(logDir, files[1]!);
    const bytes = await readFile(middle);
    bytes[bytes.length - 5]! ^= 0xff;
    await writeFile(middle, bytes);
    await assert.rejects(
      RequestLog.open(logDir, { durability: 'fsync', afterLsn: 0 }, () => undefined),
      (e: any) => e.code === 'DATA_LOSS' && e.message.includes(middle),
    );
  } finally {
    await dir.cleanup();
  }
});

interface Rec {
  values: number[];
  metadata: { g: number; v: number };
}

/** Brute-force euclidean top-k over the model, with an optional group filter. */
function reference(model: Map<string, Rec>, q: number[], k: number, g?: number): { id: string; score: number }[] {
  const scored: { id: string; score: number }[] = [];
  for (const [id, r] of model) if (g === undefined || r.metadata.g === g) scored.push({ id, score: dense(q, r.values, 'euclidean') });
  return topK(scored, k, 'euclidean');
}

function sameAsReference(res: QueryResponse, want: { id: string; score: number }[], what: string): void {
  assert.equal(res.matches.length, want.length, `${what}: match count`);
  res.matches.forEach((m, i) => {
    // Ties may order differently only where scores are equal to float precision.
    if (m.id !== want[i]!.id) assert.ok(Math.abs(m.score! - want[i]!.score) <= 1e-4 * Math.max(1, want[i]!.score), `${what}: #${i} ${m.id} vs ${want[i]!.id}`);
    assert.ok(Math.abs(m.score! - want[i]!.score) <= 1e-4 * Math.max(1, want[i]!.score), `${what}: score #${i}`);
  });
}

test('memtable flushes and slab merges under concurrent queries: results equal brute force throughout', async () => {
  const dir = await tempDir();
  try {
    // A tiny memtable (8 KiB of writes) so a few hundred writes make dozens of flushes and merges.
    const db = await LarchDB.open({ path: dir.path, memtableBytes: 8 << 10, queryThreads: 2 });
    await db.createIndex({ name: 'm', dimension: DIM, metric: 'euclidean', spec: SPEC });
    const idx = db.index('m').namespace('ns');
    const r = rng(2026);
    const vec = () => Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1));
    const model = new Map<string, Rec>();
    let maxSlabs = 0;
    let checks = 0;
    for (let step = 0; step < 150; step++) {
      const op = r();
      if (op < 0.6) {
        const batch = Array.from({ length: 20 }, () => {
          const id = `id${Math.floor(r() * 800)}`;
          return { id, values: vec(), metadata: { g: Math.floor(r() * 4), v: step } };
        });
        await idx.upsert(batch);
        for (const b of batch) model.set(b.id, { values: b.values, metadata: b.metadata });
      } else if (op < 0.8) {
        const ids = [...model.keys()].filter(() => r() < 0.05);
        await idx.deleteMany(ids);
        for (const id of ids) model.delete(id);
      } else if (op < 0.95) {
        const id = [...model.keys()][Math.floor(r() * model.size)];
        if (id === undefined) continue;
        const values = vec();
        await idx.update({ id, values, metadata: { v: -step } });
        const old = model.get(id)!;
        model.set(id, { values, metadata: { g: old.metadata.g, v: -step } });
      } else {
        const g = Math.floor(r() * 4);
        await idx.deleteMany({ g: { $eq: g }, v: { $lt: step - 50 } });
        for (const [id, rec] of model) if (rec.metadata.g === g && rec.metadata.v < step - 50) model.delete(id);
      }
      // Several queries at once while the builder flushes and merges in the background.
      const qs = Array.from({ length: 4 }, () => ({ q: vec(), g: r() < 0.5 ? Math.floor(r() * 4) : undefined }));
      const results = await Promise.all(qs.map(({ q, g }) => idx.query({ vector: q, topK: 10, ...(g === undefined ? {} : { filter: { g } }) })));
      results.forEach((res, i) => sameAsReference(res, reference(model, qs[i]!.q, 10, qs[i]!.g), `step ${step} query ${i}`));
      checks += results.length;
      const info = (await db.storageInfo('m', 'ns'))!;
      maxSlabs = Math.max(maxSlabs, info.slabs);
      assert.equal(info.backgroundError, null);
    }
    const stats = await idx.describeIndexStats();
    assert.equal(stats.namespaces!.ns!.recordCount, model.size, 'stats stay exact');
    for (const g of [0, 1, 2, 3]) {
      const want = [...model.values()].filter((rec) => rec.metadata.g === g && rec.metadata.v >= 0).length;
      const got = await idx.describeIndexStats({ filter: { g, v: { $gte: 0 } } });
      assert.equal(got.namespaces!.ns!.recordCount, want, `filtered stats (g=${g}) from slab postings + memtable`);
    }
    const info = (await db.storageInfo('m', 'ns'))!;
    assert.ok(info.flushes >= 10, `memtables were flushed (${info.flushes})`);
    assert.ok(info.merges >= 3, `slabs were merged (${info.merges})`);
    assert.ok(info.slabs < info.flushes, `merging keeps the slab count down (${info.slabs} slabs after ${info.flushes} flushes, at most ${maxSlabs})`);

    // Every record reads back exactly, from whichever slab or memtable holds it.
    const ids = [...model.keys()];
    for (let i = 0; i < ids.length; i += 100) {
      const got = await idx.fetch(ids.slice(i, i + 100));
      for (const id of ids.slice(i, i + 100)) {
        assert.deepEqual(got.records[id]!.values!.map(Math.fround), model.get(id)!.values, id);
        assert.deepEqual(got.records[id]!.metadata, model.get(id)!.metadata, id);
      }
    }
    await db.close();
    assert.ok(checks >= 600);
  } finally {
    await dir.cleanup();
  }
});

test('restart equivalence: slabs, tombstones and the log tail give the same answers after a restart', async () => {
  const dir = await tempDir();
  try {
    let db = await LarchDB.open({ path: dir.path, memtableBytes: 16 << 10 });
    await db.createIndex({ name: 'e', dimension: DIM, metric: 'cosine', spec: SPEC });
    const idx = db.index('e');
    const r = rng(7);
    const vec = () => Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1));
    for (let b = 0; b < 30; b++) await idx.upsert(Array.from({ length: 30 }, (_, i) => ({ id: `k${b * 30 + i}`, values: vec(), metadata: { b, odd: i % 2 === 1, tag: [`t${i % 5}`] } })));
    await db.flush('e');
    // Tombstones for slab rows, overwrites of slab rows, and a log tail that is not in any slab.
    await idx.deleteMany(Array.from({ length: 100 }, (_, i) => `k${i * 3}`));
    await idx.upsert(Array.from({ length: 50 }, (_, i) => ({ id: `k${i * 7 + 1}`, values: vec(), metadata: { b: -1 } })));
    await idx.update({ id: 'k2', metadata: { note: 'x' } });
    await idx.deleteMany({ b: { $gte: 25 } });
    await idx.namespace('other').upsert([{ id: 'o', values: vec() }]);
    await idx.namespace('gone').upsert([{ id: 'g', values: vec() }]);
    await idx.namespace('gone').deleteAll();

    const queries = Array.from({ length: 10 }, () => vec());
    const filters = [undefined, { odd: true }, { tag: { $in: ['t1', 't3'] } }, { b: { $lt: 10 } }];
    const run = async (d: LarchDB) => {
      const out: unknown[] = [];
      for (const q of queries) for (const filter of filters) out.push(await d.index('e').query({ vector: q, topK: 15, filter, includeMetadata: true, includeValues: true }));
      out.push(await d.index('e').describeIndexStats());
      out.push(await d.index('e').listPaginated({ limit: 1000 }));
      out.push(await d.index('e').fetch(['k2', 'k1', 'k3', 'k8']));
      return out;
    };
    const before = await run(db);
    const lsnBefore = (await db.storageInfo('e'))!.lsn;
    await db.close();

    db = await LarchDB.open({ path: dir.path, memtableBytes: 16 << 10 });
    assert.deepEqual(await run(db), before, 'same answers after a restart');
    assert.equal((await db.storageInfo('e'))!.lsn, lsnBefore, 'same LSN');
    // Writes go on with larger LSNs; a flush of everything, then one more restart, still answers the same.
    await db.flush('e');
    await db.close();
    db = await LarchDB.open({ path: dir.path });
    assert.deepEqual(await run(db), before, 'same answers from slabs only');
    const info = (await db.storageInfo('e'))!;
    assert.equal(info.recovery!.entries, 0, 'after a flush the log has nothing to replay');
    await db.close();
  } finally {
    await dir.cleanup();
  }
});

test('a crashed index builder is restarted; its flush is retried and nothing is lost', async () => {
  const dir = await tempDir();
  try {
    let db = await LarchDB.open({ path: dir.path, memtableBytes: 1 << 10 });
    await db.createIndex({ name: 'b', dimension: 4, metric: 'euclidean', spec: SPEC });
    const idx = db.index('b');
    let n = 0;
    const write = async (batches: number) => {
      for (let i = 0; i < batches; i++, n++) await idx.upsert([{ id: `r${n}`, values: [n, 0, 0, 1], metadata: { n } }]);
    };
    await write(20);
    await db.faults.crashIndexBuilder();
    await write(60); // flushes fail while the builder is down, then succeed after its restart
    await db.flush('b');
    const info = (await db.storageInfo('b'))!;
    assert.ok(db.diagnostics().builderRestarts >= 1, 'the builder was restarted');
    assert.ok(info.flushes >= 3, `flushes went on (${info.flushes})`);
    assert.equal(info.backgroundError, null);
    const res = await idx.query({ vector: [40, 0, 0, 1], topK: 3 });
    assert.deepEqual(res.matches.map((m) => m.id), ['r40', 'r39', 'r41']);
    assert.equal((await idx.describeIndexStats()).totalRecordCount, 80);
    await db.close();
    db = await LarchDB.open({ path: dir.path });
    assert.equal((await db.index('b').describeIndexStats()).totalRecordCount, 80);
    assert.deepEqual((await db.index('b').fetch(['r79'])).records.r79!.metadata, { n: 79 });
    await db.close();
  } finally {
    await dir.cleanup();
  }
});
