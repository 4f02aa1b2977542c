/**
 * The tiny ONNX fixtures load and run through @huggingface/transformers from a local, hub-style
 * models directory, with no network, and give exactly the numbers of a direct computation of the
 * same graphs (see the recipes at the top of onnx-fixtures.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  env,
  pipeline,
  type FeatureExtractionPipeline,
} from '@huggingface/transformers';
import {
  buildTinyModels,
  referenceEmbedding,
  referenceRerankLogit,
  sigmoid,
  tokenize,
  type TinyModels,
} from '../bench/onnx-fixtures.js';

const TEXTS = [
  'hello world',
  'The larch is a deciduous conifer: it drops its needles every autumn.',
  'x',
  'Pinecone-compatible vector databases store dense & sparse vectors, 2025 edition!',
];
const QUERY = 'which tree loses its needles in winter?';
const DOCS = [
  'Larches are conifers that shed their needles in autumn.',
  'The stock market fell sharply on Tuesday.',
  'Spruce and pine keep their needles all year round, unlike the larch.',
  'needles',
  'A recipe for apple pie with cinnamon and a buttery crust.',
];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('tiny ONNX fixtures through @huggingface/transformers', () => {
  let dir: string;
  let models: TinyModels;
  const fetched: string[] = [];
  const warnings: string[] = [];
  const realFetch = globalThis.fetch;
  const realWarn = console.warn;
  let extractor: FeatureExtractionPipeline;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'larch-onnx-'));
    models = await buildTinyModels(join(dir, 'models'));
    env.localModelPath = models.modelsDir;
    env.allowRemoteModels = false;
    env.useFSCache = false;
    // Any network attempt is recorded and refused.
    globalThis.fetch = async (input: string | URL | Request) => {
      fetched.push(String(input instanceof Request ? input.url : input));
      throw new Error('network access in a test');
    };
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    };
    extractor = await pipeline('feature-extraction', models.embed.id, {
      dtype: 'fp32',
      local_files_only: true,
      session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    });
  });

  after(async () => {
    globalThis.fetch = realFetch;
    console.warn = realWarn;
    await extractor?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes small hub-style model directories with the MiniLM tokenizer', async () => {
    for (const m of [models.embed, models.rerank]) {
      assert.equal(m.dir, join(models.modelsDir, m.id));
      for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'onnx/model.onnx']) {
        await stat(join(m.dir, f));
      }
      const size = (await stat(join(m.dir, 'onnx/model.onnx'))).size;
      assert.ok(size > 30522 * 16 * 4 && size < 3_000_000, `model.onnx is ${size} bytes`);
    }
    const rerankConfig = JSON.parse(await readFile(join(models.rerank.dir, 'config.json'), 'utf8'));
    assert.deepEqual(rerankConfig.architectures, ['BertForSequenceClassification']);
  });

  it('builds the same weights from the same seed', async () => {
    const again = await buildTinyModels(join(dir, 'again'));
    assert.deepEqual(again.embed.word, models.embed.word);
    assert.deepEqual(again.rerank.weight, models.rerank.weight);
    assert.deepEqual(
      await readFile(join(again.embed.dir, 'onnx/model.onnx')),
      await readFile(join(models.embed.dir, 'onnx/model.onnx')),
    );
  });

  it('feature-extraction (mean pooling, normalized) equals the direct computation, padded batch included', async () => {
    const out = await extractor(TEXTS, { pooling: 'mean', normalize: true });
    assert.deepEqual(out.dims, [TEXTS.length, models.embed.dim]);
    assert.equal(models.embed.outDim, models.embed.dim, 'no projection by default');
    assert.equal(models.embed.projection, undefined);
    assert.equal(out.type, 'float32');
    const rows = out.tolist() as number[][];
    const lengths = await Promise.all(TEXTS.map(async (t) => (await tokenize(models.embed.dir, t)).input_ids.length));
    assert.ok(new Set(lengths).size > 1, `texts of different token lengths so the batch is padded: ${lengths}`);
    for (let i = 0; i < TEXTS.length; i++) {
      const ref = await referenceEmbedding(models.embed, TEXTS[i]!);
      assert.ok(maxAbsDiff(rows[i]!, ref) < 1e-5, `text ${i}: ${maxAbsDiff(rows[i]!, ref)}`);
      assert.ok(Math.abs(Math.hypot(...rows[i]!) - 1) < 1e-5);
      // Alone (no padding) it is the same vector.
      const single = (await extractor(TEXTS[i]!, { pooling: 'mean', normalize: true })).tolist() as number[][];
      assert.ok(maxAbsDiff(single[0]!, rows[i]!) < 1e-6);
    }
    // Different texts give different vectors (it is not a constant model).
    assert.ok(maxAbsDiff(rows[0]!, rows[1]!) > 0.05);
  });

  it('an output dimension apart from the hidden size (outDim) adds only a [D, outDim] projection, and matches its reference', async () => {
    const wide = await buildTinyModels(join(dir, 'wide'), { embedId: 'larch-test/wide-embed', outDim: 1024 });
    assert.equal(wide.embed.dim, 16);
    assert.equal(wide.embed.outDim, 1024);
    assert.equal(wide.embed.projection?.length, 16 * 1024);
    // The other weights are those of the same seed without a projection (the projection is drawn last).
    assert.deepEqual(wide.embed.word, models.embed.word);
    assert.deepEqual(wide.embed.weight, models.embed.weight);
    assert.deepEqual(wide.rerank.weight, models.rerank.weight);
    const size = (await stat(join(wide.embed.dir, 'onnx/model.onnx'))).size;
    const plain = (await stat(join(models.embed.dir, 'onnx/model.onnx'))).size;
    assert.ok(size - plain >= 16 * 1024 * 4 && size - plain < 16 * 1024 * 4 + 1000, `${size} vs ${plain} bytes`);
    const config = JSON.parse(await readFile(join(wide.embed.dir, 'config.json'), 'utf8'));
    assert.equal(config.hidden_size, 1024);

    // By absolute directory: env.localModelPath points at the default models.
    const wideExtractor = await pipeline('feature-extraction', wide.embed.dir, {
      dtype: 'fp32',
      local_files_only: true,
      session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    });
    try {
      const out = await wideExtractor(TEXTS, { pooling: 'mean', normalize: true });
      assert.deepEqual(out.dims, [TEXTS.length, 1024]);
      const rows = out.tolist() as number[][];
      for (let i = 0; i < TEXTS.length; i++) {
        const ref = await referenceEmbedding(wide.embed, TEXTS[i]!);
        assert.equal(ref.length, 1024);
        assert.ok(maxAbsDiff(rows[i]!, ref) < 1e-5, `text ${i}: ${maxAbsDiff(rows[i]!, ref)}`);
        assert.ok(Math.abs(Math.hypot(...rows[i]!) - 1) < 1e-5);
      }
      assert.ok(maxAbsDiff(rows[0]!, rows[1]!) > 0.01);
      // Not the plain model padded out: the 1024 components are spread, not 16 non-zero ones.
      assert.ok(rows[0]!.filter((v) => Math.abs(v) > 1e-4).length > 900);
    } finally {
      await wideExtractor.dispose();
    }
    await assert.rejects(buildTinyModels(join(dir, 'bad'), { outDim: 0 }), /outDim must be a positive integer/);
  });

  it('truncates silently at model_max_length (512 tokens) inside the pipeline', async () => {
    const long = Array.from({ length: 600 }, (_, i) => `word${i % 37}`).join(' ');
    const full = await tokenize(models.embed.dir, long);
    assert.ok(full.input_ids.length > 512, `${full.input_ids.length} tokens`);
    const cut = await tokenize(models.embed.dir, long, { maxLength: 512 });
    assert.equal(cut.input_ids.length, 512);
    assert.notEqual(cut.input_ids.at(-1), 102, 'the cut drops the trailing [SEP]');
    const out = (await extractor(long, { pooling: 'mean', normalize: true })).tolist() as number[][];
    const ref = await referenceEmbedding(models.embed, long, 512);
    assert.ok(maxAbsDiff(out[0]!, ref) < 1e-5);
  });

  it('counts tokens with the tokenizer: [CLS] and [SEP] included, attention_mask sums match', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(models.embed.id, { local_files_only: true });
    const one = tokenizer('Hello larch world', { return_tensor: false }) as unknown as { input_ids: number[] };
    assert.deepEqual(one.input_ids, [101, 7592, 2474, 11140, 2088, 102]);
    const batch = tokenizer(TEXTS, { padding: true, truncation: true });
    const mask = batch.attention_mask.tolist() as bigint[][];
    const lengths = await Promise.all(TEXTS.map(async (t) => (await tokenize(models.embed.dir, t)).input_ids.length));
    assert.deepEqual(
      mask.map((row) => row.reduce((a, v) => a + Number(v), 0)),
      lengths,
    );
    const cut = tokenizer('Hello larch world and more words', {
      truncation: true,
      max_length: 4,
      return_tensor: false,
    }) as unknown as { input_ids: number[] };
    assert.deepEqual(cut.input_ids, [101, 7592, 2474, 11140]);
  });

  it('cross-encoder logits equal the direct computation; scores are sigmoid(logit) and rank like the model', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(models.rerank.id, { local_files_only: true });
    const model = await AutoModelForSequenceClassification.from_pretrained(models.rerank.id, {
      dtype: 'fp32',
      local_files_only: true,
      session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    });
    try {
      const inputs = tokenizer(
        DOCS.map(() => QUERY),
        { text_pair: DOCS, padding: true, truncation: true },
      );
      const types = inputs.token_type_ids.tolist() as bigint[][];
      assert.ok(types.every((row) => row.some((v) => v === 1n)), 'documents have token type 1');
      const { logits } = await model(inputs);
      assert.deepEqual(logits.dims, [DOCS.length, 1]);
      const got = Array.from(logits.data as Float32Array);
      const ref = await Promise.all(DOCS.map((d) => referenceRerankLogit(models.rerank, QUERY, d)));
      assert.ok(maxAbsDiff(got, ref) < 1e-5, `${got} vs ${ref}`);
      const scores = got.map(sigmoid);
      const refScores = ref.map(sigmoid);
      assert.ok(maxAbsDiff(scores, refScores) < 1e-6);
      const order = (s: number[]) => s.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
      assert.deepEqual(order(scores), order(refScores));
      assert.ok(new Set(scores.map((s) => s.toFixed(4))).size === DOCS.length, `distinct scores: ${scores}`);
      // The pair is ordered: (query, doc) and (doc, query) give different logits.
      const swapped = await referenceRerankLogit(models.rerank, DOCS[0]!, QUERY);
      assert.ok(Math.abs(swapped - ref[0]!) > 1e-3);
    } finally {
      await model.dispose();
    }
  });

  it('an absolute model directory works as the id too', async () => {
    const byPath = await pipeline('feature-extraction', models.embed.dir, { dtype: 'fp32', local_files_only: true });
    try {
      const out = (await byPath(TEXTS[1]!, { pooling: 'mean', normalize: true })).tolist() as number[][];
      assert.ok(maxAbsDiff(out[0]!, await referenceEmbedding(models.embed, TEXTS[1]!)) < 1e-5);
    } finally {
      await byPath.dispose();
    }
  });

  it('a model id that does not exist fails fast, naming the path it tried', async () => {
    const t0 = performance.now();
    await assert.rejects(
      pipeline('feature-extraction', 'larch-test/no-such-model', { dtype: 'fp32', local_files_only: true }),
      {
        message:
          '`local_files_only=true` or `env.allowRemoteModels=false` and file was not found locally at ' +
          `"${join(models.modelsDir, 'larch-test/no-such-model/tokenizer.json')}".`,
      },
    );
    await assert.rejects(
      AutoModelForSequenceClassification.from_pretrained('larch-test/no-such-model', {
        dtype: 'fp32',
        local_files_only: true,
      }),
      { message: new RegExp(escapeRegExp(`not found locally at "${join(models.modelsDir, 'larch-test/no-such-model/config.json')}"`)) },
    );
    // A present model without the file for the requested dtype names that file.
    await assert.rejects(pipeline('feature-extraction', models.embed.id, { dtype: 'q8', local_files_only: true }), {
      message: new RegExp(escapeRegExp(`not found locally at "${join(models.embed.dir, 'onnx/model_quantized.onnx')}"`)),
    });
    assert.ok(performance.now() - t0 < 2000);
  });

  it('attempted no network access and printed no warnings', () => {
    assert.deepEqual(fetched, []);
    assert.deepEqual(warnings, []);
  });
});
