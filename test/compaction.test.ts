/**
 * The flush and merge policy (actors/host/compaction.ts) on its own: which frozen memtables become one slab, which
 * slabs merge, and the slab size cap; and the id table's listing (actors/host/id-table.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SLAB_BYTES, flushRun, mergeRun, slabRowBytes, type SegmentSize } from '../actors/host/compaction.js';
import { IdTable } from '../actors/host/id-table.js';

const slab = (rows: number): SegmentSize => ({ slab: true, frozen: false, rows });
const frozen = (rows: number): SegmentSize => ({ slab: false, frozen: true, rows });
const memtable = (rows: number): SegmentSize => ({ slab: false, frozen: false, rows });
const ROW = slabRowBytes(128);

test('flushRun: every frozen memtable queued behind the builder becomes one slab, oldest first, up to the size cap', () => {
  assert.deepEqual(flushRun([slab(100), memtable(5)], ROW), [], 'nothing frozen: nothing to flush');
  assert.deepEqual(flushRun([slab(100), frozen(10), frozen(20), frozen(30), memtable(1)], ROW), [1, 2, 3]);
  const capRows = Math.floor(MAX_SLAB_BYTES / ROW);
  // The cap stops the run; the first memtable always goes, even alone over the cap.
  assert.deepEqual(flushRun([frozen(capRows - 10), frozen(20), frozen(5), memtable(0)], ROW), [0]);
  assert.deepEqual(flushRun([frozen(capRows + 1), frozen(1), memtable(0)], ROW), [0]);
  assert.deepEqual(flushRun([frozen(capRows - 10), frozen(10), memtable(0)], ROW), [0, 1], 'exactly at the cap fits');
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
