/**
 * Integrated inference: embedding throughput through LarchDB's inference pool vs a direct @huggingface/transformers
 * call on the same model in the same run, and query latency while an embedding batch runs vs idle.
 *
 * No weights can be downloaded here, so the model is one of the tests' small real ONNX models (test/onnx-fixtures.ts:
 * token embeddings, a dense layer and tanh, over the real all-MiniLM-L6-v2 tokenizer), built into a temp models
 * directory. Both sides run it with one onnxruntime thread, as LarchDB's pool does. `--models-dir` and `--model`
 * point the bench at a real Hugging Face ONNX export instead.
 *
 *   npm run bench:inference -- --texts 1920 --batch 96 --queries 2000 [--model org/name --models-dir DIR] [--json]
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { LarchDB } from '../engine/index.js';
import { buildTinyModels } from './onnx-fixtures.js';
import { makeLog, posInt, prng } from './common.js';
import { LatencyHistogram } from './stats.js';

const { values: args } = parseArgs({
  options: {
    texts: { type: 'string', default: '1920' },
    batch: { type: 'string', default: '96' },
    queries: { type: 'string', default: '2000' },
    model: { type: 'string' },
    'models-dir': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const log = makeLog(args.json!);
const TEXTS = posInt('--texts', args.texts);
const BATCH = posInt('--batch', args.batch);
const QUERIES = posInt('--queries', args.queries);

const WORDS = 'vector database search index query record namespace embedding model token passage apple river quantum market music storm garden engine light'.split(' ');
function corpus(n: number, seed: number): string[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 24 + Math.floor(r() * 24) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' '));
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'larch-bench-inf-'));
  try {
    const modelsDir = args['models-dir'] ?? join(tmp, 'models');
    const model = args.model ?? (await buildTinyModels(modelsDir, { dim: 384 })).embed.id;
    const texts = corpus(TEXTS, 7);
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += BATCH) batches.push(texts.slice(i, i + BATCH));

    // Direct: transformers.js in this thread, the recipe LarchDB's worker uses.
    const tf = await import('@huggingface/transformers');
    tf.env.localModelPath = modelsDir;
    tf.env.allowRemoteModels = false;
    tf.env.useFSCache = false;
    const extractor = await tf.pipeline('feature-extraction', model, { dtype: 'fp32', local_files_only: true, session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
    await extractor(batches[0]!, { pooling: 'mean', normalize: true });
    let t0 = performance.now();
    for (const b of batches) await extractor(b, { pooling: 'mean', normalize: true });
    const direct = TEXTS / ((performance.now() - t0) / 1000);

    const db = await LarchDB.open({ path: ':memory:', modelsDir });
    try {
      await db.inference.embed(model, batches[0]!, { input_type: 'passage' }); // load the model in the worker
      t0 = performance.now();
      for (const b of batches) await db.inference.embed(model, b, { input_type: 'passage' });
      const pooled = TEXTS / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      await Promise.all(texts.map((t) => db.inference.embed(model, [t], { input_type: 'passage' })));
      const singles = TEXTS / ((performance.now() - t0) / 1000);
      log(`embedding throughput (${TEXTS} texts, ${model}): direct transformers.js ${direct.toFixed(0)} texts/s; LarchDB pool, batches of ${BATCH}: ${pooled.toFixed(0)} texts/s (${(pooled / direct).toFixed(2)}x); ${TEXTS} concurrent single-text requests: ${singles.toFixed(0)} texts/s (${(singles / direct).toFixed(2)}x)`);

      // Query latency, idle vs while embedding batches run back to back.
      await db.createIndex({ name: 'q', dimension: 384, metric: 'cosine', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
      const r = prng(3);
      const vec = () => Array.from({ length: 384 }, () => r() * 2 - 1);
      for (let i = 0; i < 10_000; i += 1000) await db.index('q').upsert(Array.from({ length: 1000 }, (_, j) => ({ id: `v${i + j}`, values: vec() })));
      const queries = Array.from({ length: QUERIES }, vec);
      const measure = async (): Promise<LatencyHistogram> => {
        const h = new LatencyHistogram();
        for (const v of queries) {
          const s = performance.now();
          await db.index('q').query({ vector: v, topK: 10 });
          h.record(performance.now() - s);
        }
        return h;
      };
      await measure(); // warm
      const idle = (await measure()).summary();
      let busy = true;
      const load = (async () => {
        let n = 0;
        while (busy) for (const b of batches) if (busy) n += (await db.inference.embed(model, b, { input_type: 'passage' })).data.length;
        return n;
      })();
      const during = (await measure()).summary();
      busy = false;
      const embedded = await load;
      log(`query latency (10k x 384, c=1, ${QUERIES} queries): idle p50 ${idle.p50Ms.toFixed(2)} ms p99 ${idle.p99Ms.toFixed(2)} ms; while embedding (${embedded} texts meanwhile) p50 ${during.p50Ms.toFixed(2)} ms p99 ${during.p99Ms.toFixed(2)} ms (p50 ${(during.p50Ms / idle.p50Ms).toFixed(2)}x, p99 ${(during.p99Ms / idle.p99Ms).toFixed(2)}x)`);
    } finally {
      await db.close();
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
