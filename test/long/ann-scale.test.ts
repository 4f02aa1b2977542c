/**
 * Approximate search at scale through the engine (npm run test:long, a few minutes on 2 cores): 200k clustered
 * vectors at 128-d and 768-d in one graph slab reach recall@10 >= 0.95 with the default settings, against the
 * engine's exact search of the same data before it became a slab.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB } from 'larchdb';
import { clustered, ids, meanRecall, queryAll, slabInfo, upsertAll } from '../ann-data.js';
import { SPEC, tempDir } from '../helpers.js';

for (const dim of [128, 768]) {
  test(`200k clustered ${dim}-d (cosine): recall@10 >= 0.95 with defaults against exact search`, async () => {
    const n = 200_000;
    const { vectors } = clustered(n + 100, dim, 7 + dim, 200);
    const queries = vectors.slice(n);
    const tmp = await tempDir();
    // One slab, one graph: a 1 GiB memtable holds all of it until the flush.
    const db = await LarchDB.open({ path: tmp.path, memtableBytes: 1 << 30, durability: 'none' });
    try {
      await db.createIndex({ name: 'big', dimension: dim, metric: 'cosine', spec: SPEC });
      await upsertAll(db, 'big', vectors.slice(0, n));
      const exact = (await queryAll(db, 'big', queries)).map(ids);
      const t0 = performance.now();
      await db.flush('big');
      const buildS = (performance.now() - t0) / 1000;
      const info = await slabInfo(db, 'big');
      assert.equal(info.graphs, 1);
      const t1 = performance.now();
      const got = await queryAll(db, 'big', queries);
      const ms = (performance.now() - t1) / queries.length;
      const recall = meanRecall(got, exact);
      console.log(
        `200k x ${dim}: recall@10=${recall.toFixed(4)} flush+build ${buildS.toFixed(1)} s, ` +
          `graph ${(info.slabGraphBytes[0]! / n).toFixed(1)} B/vector, ${ms.toFixed(2)} ms/query (c=1, through the engine)`,
      );
      assert.ok(recall >= 0.95, `recall@10 ${recall}`);
    } finally {
      await db.close();
      await tmp.cleanup();
    }
  });
}

