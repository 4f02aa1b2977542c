/**
 * The write path's own mechanisms: the CRC-32C combine the request log relies on, the buffer pool, records framed
 * in place, and group commit under many concurrent writers, in process and across a SIGKILL (every acknowledged
 * batch is back after the restart, whole; a batch in flight is there entirely or not at all).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LarchDB } from 'larchdb';
import { crc32c, crc32cCombine } from '../engine/storage/crc32c.js';
import { BufferPool } from '../engine/storage/buffer-pool.js';
import { RequestLog, logRecordOf, newLogRecord } from '../engine/storage/request-log.js';
import { FrameCursor, checkFrame, decodeRecords, encodeRecordsToBytes, type CodecRecord } from '../engine/storage/record-frame.js';
import { Arena } from '../actors/shared/arena.js';
import { readDense, readLabel, readSparse } from '../actors/shared/arena-layout.js';
import { BATCH, DIM, INDEX, idOf, valuesOf } from './group-commit-writer.js';
import { rng, SPEC, tempDir } from './helpers.js';

test('crc32cCombine gives the CRC of the concatenation', () => {
  const r = rng(5);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  for (const [la, lb] of [[0, 0], [0, 7], [12, 0], [12, 1], [12, 4096], [3, 100_003], [12, 309_228]] as const) {
    const a = bytes(la);
    const b = bytes(lb);
    const ab = new Uint8Array(la + lb);
    ab.set(a);
    ab.set(b, la);
    assert.equal(crc32cCombine(crc32c(a), crc32c(b), lb), crc32c(ab), `${la} + ${lb} bytes`);
  }
});

test('buffer pool: a buffer given back is reused for its size class; twice is an error; foreign ones are ignored', () => {
  const pool = new BufferPool();
  const a = pool.take(5000);
  assert.equal(a.length, 5000);
  a.fill(7);
  pool.give(a);
  assert.equal(pool.freeBytes, 8192, 'kept in the 8 KiB class');
  const b = pool.take(6000);
  assert.equal(b.buffer, a.buffer, 'the same memory comes back');
  assert.equal(pool.freeBytes, 0);
  pool.give(b);
  assert.throws(() => pool.give(b), /given back twice/);
  pool.give(new Uint8Array(5000)); // not the pool's: ignored
  assert.equal(pool.freeBytes, 8192);
  assert.notEqual(pool.take(100_000).buffer, a.buffer, 'another size class');
});

test('frame cursor: upserts applied from the frame land in the arena as decoded records do; broken frames are refused', () => {
  const dim = 5;
  const records: CodecRecord[] = [
    { id: 'a', values: [1, 2, 3, 4, 5.5] },
    { id: 'ünï-çødé', values: [0, 0, 0, 0, 0], sparse: { indices: [3, 9, 40], values: [0.5, -1, 2] }, metadata: { g: 'x', n: 3 } },
    { id: 'b'.repeat(37), values: [-1, 0.25, 7, 1e-3, 2], metadata: { tags: ['p', 'q'] } },
  ];
  const frame = encodeRecordsToBytes(records);
  assert.equal(checkFrame(frame, dim), 3);
  const byCursor = new Arena(dim);
  const byRecord = new Arena(dim);
  const c = new FrameCursor(frame);
  for (const r of decodeRecords(frame)) {
    c.next();
    assert.equal(c.id(), r.id);
    assert.deepEqual(c.metadata(), r.metadata);
    const row = byCursor.appendFrom(c, 7);
    byRecord.append(r.values, r.sparse, 7, { id: r.id, metaJson: r.metadata === undefined ? undefined : JSON.stringify(r.metadata) });
    for (const a of [byCursor, byRecord]) {
      const block = a.blocks[0]!;
      const v = a.memory.buffer;
      assert.deepEqual(readDense(v, a.layout, block, row), records[row]!.values);
      assert.deepEqual(readSparse(v, a.layout, block, row), records[row]!.sparse);
      assert.deepEqual(readLabel(v, a.layout, block, row, true), { id: records[row]!.id, ...(r.metadata ? { metaJson: JSON.stringify(r.metadata) } : {}) });
      assert.ok(a.visible(row, 7) && !a.visible(row, 6));
    }
    const inv = (a: Arena) => new Float32Array(a.memory.buffer, a.blocks[0]! + a.layout.invNorms, 3)[row];
    assert.equal(inv(byCursor), inv(byRecord), 'the same inverse norm');
  }
  assert.throws(() => checkFrame(frame.subarray(0, frame.length - 8), dim), RangeError, 'a truncated frame');
  assert.throws(() => checkFrame(frame, dim + 1), RangeError, 'vectors of another dimension');
});

test('request log: records framed in place, with or without a precomputed body CRC, replay as written', async () => {
  const dir = await tempDir();
  try {
    const logDir = join(dir.path, 'log');
    const { log } = await RequestLog.open(logDir, { durability: 'fsync', afterLsn: 0 }, () => undefined);
    const bodies = [new Uint8Array(0), Uint8Array.from([1, 2, 3]), new Uint8Array(10_000).map((_, i) => i & 255)];
    const appends: Promise<void>[] = [];
    bodies.forEach((body, i) => {
      const withCrc = newLogRecord(body.length);
      withCrc.body.set(body);
      withCrc.bodyCrc = crc32c(body);
      appends.push(log.append(2 * i + 1, 1, withCrc), log.append(2 * i + 2, 1, logRecordOf(body)));
    });
    await Promise.all(appends);
    assert.equal(log.writes, 6);
    assert.ok(log.rounds < log.writes, `appends made in one tick share rounds (${log.rounds} for ${log.writes})`);
    await log.close();
    const seen: { lsn: number; body: number[] }[] = [];
    const { report } = await RequestLog.open(logDir, { durability: 'fsync', afterLsn: 0 }, (e) => seen.push({ lsn: e.lsn, body: [...e.body] }));
    assert.equal(report.torn, undefined);
    assert.deepEqual(seen.map((e) => e.lsn), [1, 2, 3, 4, 5, 6]);
    seen.forEach((e, k) => assert.deepEqual(e.body, [...bodies[k >> 1]!], `record ${e.lsn}`));
  } finally {
    await dir.cleanup();
  }
});

test('group commit: 32 concurrent writers on one namespace are all acknowledged, in fewer flushes than writes', async () => {
  const dir = await tempDir();
  try {
    const db = await LarchDB.open({ path: dir.path, durability: 'fsync', queryThreads: 1 });
    await db.createIndex({ name: INDEX, dimension: DIM, metric: 'euclidean', spec: SPEC });
    const ns = db.index(INDEX).namespace('many');
    const WRITERS = 32;
    const EACH = 6;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let b = 0; b < EACH; b++) {
          const r = await ns.upsert(Array.from({ length: BATCH }, (_, j) => ({ id: idOf(w, b, j), values: valuesOf(w, b, j) })));
          assert.equal(r.upsertedCount, BATCH);
        }
      }),
    );
    const info = (await db.storageInfo(INDEX, 'many'))!;
    assert.equal(info.logWrites, WRITERS * EACH);
    assert.ok(info.logRounds < info.logWrites / 4, `writes waiting together share a flush (${info.logRounds} rounds for ${info.logWrites} writes)`);
    assert.equal((await ns.describeIndexStats()).namespaces?.['many']?.recordCount, WRITERS * EACH * BATCH);
    const got = await ns.fetch(Array.from({ length: BATCH }, (_, j) => idOf(31, 5, j)));
    for (let j = 0; j < BATCH; j++) assert.deepEqual(got.records[idOf(31, 5, j)]?.values, valuesOf(31, 5, j));
    await db.close();
  } finally {
    await dir.cleanup();
  }
});

/** Runs the writer child until it has `acks` acknowledged batches, kills it (SIGKILL), answers what it acknowledged. */
async function writeThenKill(dir: string, writers: number, acks: number): Promise<Map<number, number>> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./group-commit-writer.js', import.meta.url)), dir, String(writers)], {
    env: { ...process.env, GROUP_COMMIT_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  /** Per writer, the highest batch acknowledged (batches of one writer are acknowledged in order). */
  const acked = new Map<number, number>();
  let n = 0;
  // Read to the end: acknowledgements printed before the kill may still sit in the pipe, and their batches are there.
  for await (const line of createInterface({ input: child.stdout! })) {
    const m = /^ack (\d+) (\d+)$/.exec(line);
    if (!m) continue;
    acked.set(Number(m[1]), Number(m[2]));
    if (++n === acks) child.kill('SIGKILL');
  }
  await exited;
  assert.ok(n >= acks, 'the child acknowledged enough batches before it was killed');
  return acked;
}

test('group commit survives SIGKILL: every acknowledged batch is back, whole; no batch is back in part', async () => {
  const dir = await tempDir();
  try {
    const WRITERS = 16;
    const first = await writeThenKill(dir.path, WRITERS, 150);
    const second = await writeThenKill(dir.path, WRITERS, 120); // a second life on the recovered directory
    const acked = new Map([...first].map(([w, b]) => [w, { before: b, after: second.get(w) ?? -1 }]));
    const db = await LarchDB.open({ path: dir.path, durability: 'fsync', queryThreads: 1 });
    try {
      const ns = db.index(INDEX).namespace('many');
      let total = 0;
      for (let w = 0; w < WRITERS; w++) {
        const a = acked.get(w) ?? { before: -1, after: -1 };
        // Batch numbers restart at 0 in the second life, so a batch id names the newest write of that number.
        const last = Math.max(a.before, a.after);
        for (let b = 0; b <= last + 1; b++) {
          const ids = Array.from({ length: BATCH }, (_, j) => idOf(w, b, j));
          const got = (await ns.fetch(ids)).records;
          const present = ids.filter((id) => got[id] !== undefined).length;
          if (b <= last) assert.equal(present, BATCH, `writer ${w} batch ${b} was acknowledged: all ${BATCH} records are back`);
          else assert.ok(present === 0 || present === BATCH, `writer ${w} batch ${b} (in flight at the kill) is whole or absent, not ${present}/${BATCH}`);
          for (let j = 0; j < BATCH; j++) if (got[ids[j]!]) assert.deepEqual(got[ids[j]!]!.values, valuesOf(w, b, j));
          total += present;
        }
      }
      assert.equal((await ns.describeIndexStats()).namespaces?.['many']?.recordCount, total, 'nothing else is there');
    } finally {
      await db.close();
    }
  } finally {
    await dir.cleanup();
  }
});
