/** Records, indexes and settings survive close() and open() of the same data directory; damage is refused by name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LarchDB } from 'larchdb';
import { SPEC, randomVectors, tempDir } from './helpers.js';

test('reopen after close: same records, results, stats and settings', async () => {
  const dir = await tempDir();
  try {
    let db = await LarchDB.open({ path: dir.path });
    await db.createIndex({ name: 'keep', dimension: 8, metric: 'cosine', spec: SPEC, tags: { a: 'b' } });
    await db.createIndex({ name: 'words', vectorType: 'sparse', spec: SPEC });
    await db.configureIndex('keep', { deletionProtection: 'enabled' });
    const keep = db.index('keep');
    const vecs = randomVectors(3000, 8, 3);
    for (let i = 0; i < 3000; i += 1000) await keep.namespace('n1').upsert(vecs.slice(i, i + 1000).map((values, j) => ({ id: `k${i + j}`, values, metadata: { j: i + j, even: (i + j) % 2 === 0 } })));
    await keep.namespace('n1').update({ id: 'k5', metadata: { note: 'updated' } });
    await keep.namespace('n1').deleteMany(['k6', 'k7']);
    await keep.namespace('n2').upsert([{ id: 'x', values: vecs[0]! }]);
    await keep.namespace('n2').deleteAll();
    await db.index('words').upsert([{ id: 'w', sparseValues: { indices: [5, 1], values: [0.5, 2] }, metadata: { t: 'hello' } }]);

    const q = randomVectors(1, 8, 4)[0]!;
    const beforeRes = await keep.namespace('n1').query({ vector: q, topK: 20, includeMetadata: true, includeValues: true, filter: { even: true } });
    const beforeStats = await keep.describeIndexStats();
    await db.close();

    db = await LarchDB.open({ path: dir.path });
    const after = db.index('keep');
    assert.deepEqual(await after.namespace('n1').query({ vector: q, topK: 20, includeMetadata: true, includeValues: true, filter: { even: true } }), beforeRes);
    assert.deepEqual(await after.describeIndexStats(), beforeStats);
    assert.equal(beforeStats.namespaces!.n1!.recordCount, 2998);
    assert.deepEqual(beforeStats.namespaces!.n2, { recordCount: 0 }, 'an emptied namespace still exists');
    assert.deepEqual((await after.namespace('n1').fetch(['k5'])).records.k5!.metadata, { j: 5, even: false, note: 'updated' });
    assert.deepEqual((await after.namespace('n1').fetch(['k6'])).records, {});
    const desc = await db.describeIndex('keep');
    assert.equal(desc.deletionProtection, 'enabled');
    assert.deepEqual(desc.tags, { a: 'b' });
    assert.deepEqual((await db.index('words').fetch(['w'])).records.w, { id: 'w', values: [], sparseValues: { indices: [1, 5], values: [2, 0.5] }, metadata: { t: 'hello' } });

    // A deleted index stays deleted.
    await db.deleteIndex('words');
    await db.close();
    db = await LarchDB.open({ path: dir.path });
    assert.deepEqual((await db.listIndexes()).indexes!.map((i) => i.name), ['keep']);
    await db.close();
  } finally {
    await dir.cleanup();
  }
});

test('a data directory is owned by one LarchDB at a time', async () => {
  const dir = await tempDir();
  try {
    const db = await LarchDB.open({ path: dir.path });
    await assert.rejects(LarchDB.open({ path: dir.path }), (e: any) => e.code === 'FAILED_PRECONDITION' && /in use/.test(e.message));
    await db.close();
    const again = await LarchDB.open({ path: dir.path });
    await again.close();
  } finally {
    await dir.cleanup();
  }
});

test('a corrupt slab, manifest or catalog stops the open and names the file; repaired, it opens', async () => {
  const dir = await tempDir();
  try {
    let db = await LarchDB.open({ path: dir.path });
    await db.createIndex({ name: 'c', dimension: 2, spec: SPEC });
    await db.index('c').upsert([{ id: 'a', values: [1, 2] }]);
    await db.flush('c');
    await db.index('c').upsert([{ id: 'b', values: [3, 4] }]);
    await db.close();

    const nsDir = join(dir.path, 'indexes', 'c', (await readdir(join(dir.path, 'indexes', 'c')))[0]!);
    const slabName = (await readdir(join(nsDir, 'slabs')))[0]!;
    const files = [join(nsDir, 'slabs', slabName), join(nsDir, 'MANIFEST.json')];
    for (const file of files) {
      const bytes = await readFile(file);
      const at = file.endsWith('.json') ? bytes.indexOf('"lsn"') + 7 : bytes.length - 20;
      bytes[at] ^= 0x01;
      await writeFile(file, bytes);
      await assert.rejects(LarchDB.open({ path: dir.path }), (e: any) => e.code === 'DATA_LOSS' && e.message.includes(file), file);
      bytes[at] ^= 0x01;
      await writeFile(file, bytes);
    }
    db = await LarchDB.open({ path: dir.path });
    assert.equal((await db.index('c').describeIndexStats()).totalRecordCount, 2, 'repaired files load: slab plus log');
    await db.close();

    const catalog = join(dir.path, 'catalog.json');
    await writeFile(catalog, (await readFile(catalog, 'utf8')).replace('"dimension": 2', '"dimension": 3'));
    await assert.rejects(LarchDB.open({ path: dir.path }), (e: any) => e.code === 'DATA_LOSS' && e.message.includes(catalog));
  } finally {
    await dir.cleanup();
  }
});
