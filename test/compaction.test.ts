/**
 * The flush and merge policy (actors/host/compaction.ts) on its own: which frozen memtable becomes a slab (and with
 * which slab), which slabs merge, and the slab size cap; and the id table's listing (actors/host/id-table.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SLAB_BYTES, flushRun, mergeRun, slabRowBytes, type SegmentSize } from '../actors/host/compaction.js';
import { IdTable } from '../actors/host/id-table.js';

const slab = (rows: number): SegmentSize => ({ slab: true, frozen: false, rows });
const frozen = (rows: number): SegmentSize => ({ slab: false, frozen: true, rows });
const memtable = (rows: number): SegmentSize => ({ slab: false, frozen: false, rows });
const ROW = slabRowBytes(128);

const growable = (rows: number): SegmentSize => ({ slab: true, frozen: false, rows, growable: true });

test('flushRun: the oldest frozen memtable, folded into the newest slab when that slab\'s graph can grow by it', () => {
  assert.deepEqual(flushRun([slab(100), memtable(5)], ROW), [], 'nothing frozen: nothing to flush');
  assert.deepEqual(flushRun([frozen(10), frozen(20), memtable(1)], ROW), [0], 'one memtable a job');
  assert.deepEqual(flushRun([slab(100), frozen(10), frozen(20), frozen(30), memtable(1)], ROW), [1], 'a slab without a growable graph stays');
  assert.deepEqual(flushRun([growable(100), frozen(20), frozen(30), memtable(1)], ROW), [0, 1], 'folded: one graph grows');
  assert.deepEqual(flushRun([growable(8 * 20), frozen(20), memtable(1)], ROW), [0, 1], 'up to FOLD_MAX_RATIO times the memtable');
  assert.deepEqual(flushRun([growable(8 * 20 + 1), frozen(20), memtable(1)], ROW), [1], 'a larger slab is not rewritten for it');
  const capRows = Math.floor(MAX_SLAB_BYTES / ROW);
  assert.deepEqual(flushRun([growable(capRows - 10), frozen(capRows), memtable(0)], ROW), [1], 'the cap holds');
  const half = Math.ceil(capRows / 2);
  assert.deepEqual(flushRun([growable(capRows - half), frozen(half), memtable(0)], ROW), [0, 1], 'exactly at the cap fits');
  assert.deepEqual(flushRun([growable(capRows - half + 1), frozen(half), memtable(0)], ROW), [1]);
});

test('mergeRun: the newest run where each older slab is no larger than the newer ones together (binary counter)', () => {
  assert.equal(mergeRun([slab(100), memtable(3)], ROW), null, 'one slab: no merge');
  assert.deepEqual(mergeRun([slab(100), slab(100), memtable(3)], ROW), [0, 1]);
  assert.equal(mergeRun([slab(400), slab(100), memtable(0)], ROW), null, 'an older, larger slab waits');
  assert.deepEqual(mergeRun([slab(400), slab(100), slab(100)], ROW), [1, 2]);
  assert.deepEqual(mergeRun([slab(400), slab(200), slab(100), slab(100)], ROW), [0, 1, 2, 3]);
  // Frozen memtables and the memtable are not slabs: they never merge.
  assert.deepEqual(mergeRun([slab(50), slab(50), frozen(50), memtable(50)], ROW), [0, 1]);
  // Dead rows do not count: sizes are live rows.
  assert.deepEqual(mergeRun([slab(0), slab(10)], ROW), [0, 1]);
});

test('mergeRun: a quiet namespace merges slabs of any sizes into the largest growable graph', () => {
  assert.equal(mergeRun([growable(22), growable(66), growable(12)], ROW), null, 'not quiet: binary counter only');
  assert.deepEqual(mergeRun([growable(22), growable(66), growable(12)], ROW, true), [0, 1, 2]);
  assert.deepEqual(mergeRun([growable(22), slab(66), growable(12)], ROW, true), null, 'the largest must be growable: no full rebuild');
  assert.deepEqual(mergeRun([slab(100), slab(100)], ROW, true), [0, 1], 'the binary rule still applies');
  assert.equal(mergeRun([growable(100), memtable(5)], ROW, true), null, 'one slab: nothing to merge');
  const capRows = Math.floor(MAX_SLAB_BYTES / ROW);
  assert.deepEqual(mergeRun([growable(capRows - 100), growable(200), growable(50)], ROW, true), [1, 2], 'the cap holds');
});

test('mergeRun: a merge never makes a slab over the cap', () => {
  const capRows = Math.floor(MAX_SLAB_BYTES / ROW);
  const half = Math.floor(capRows / 2) + 1;
  assert.equal(mergeRun([slab(half), slab(half)], ROW), null);
  assert.deepEqual(mergeRun([slab(half), slab(half), slab(10), slab(10)], ROW), [2, 3]);
  // The cap is in bytes, so wider vectors merge fewer rows.
  assert.equal(mergeRun([slab(1000), slab(1000)], slabRowBytes(200_000)), null);
});

test('IdTable: rows by id, bitwise-sorted listing with prefix and pagination, re-sorted after ids change', () => {
  const t = new IdTable();
  for (const [i, id] of ['b', 'a', 'ab', 'B', 'a#2', 'a#1'].entries()) t.set(id, i);
  assert.equal(t.size, 6);
  assert.deepEqual(t.list('', 10, undefined), { ids: ['B', 'a', 'a#1', 'a#2', 'ab', 'b'], more: false });
  assert.deepEqual(t.list('a', 2, undefined), { ids: ['a', 'a#1'], more: true });
  assert.deepEqual(t.list('a', 2, 'a#1'), { ids: ['a#2', 'ab'], more: false });
  t.set('a', 99); // a new row for an existing id: same listing
  assert.equal(t.get('a'), 99);
  assert.equal(t.delete('a#1'), 5);
  assert.equal(t.delete('a#1'), undefined);
  t.set('aa', 7);
  assert.deepEqual(t.list('a', 10, undefined), { ids: ['a', 'a#2', 'aa', 'ab'], more: false });
  t.clear();
  assert.deepEqual(t.list('', 10, undefined), { ids: [], more: false });
});
