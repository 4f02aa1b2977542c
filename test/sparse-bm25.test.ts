// The built-in BM25 encoder behind `pinecone-sparse-english-v0`: the hash against published vectors, the analysis
// (tokens, stop words, stems), the weights against hand-computed fractions, the limits, and that the sparse dot
// product of its encodings ranks a small corpus the way BM25 should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AVGDL, B, K1, MAX_TOKENS, encodeSparse, murmur3_32, termOf, tokenize, type SparseEncoding } from '../engine/core/sparse-bm25.js';
import { LarchError } from '../engine/core/errors.js';

const ids = (...terms: string[]) => terms.map((t) => murmur3_32(t, 0)).sort((a, b) => a - b);
const terms = (text: string) => tokenize(text).map(termOf).filter((t) => t !== null);

function dot(q: SparseEncoding, p: SparseEncoding): number {
  const weight = new Map(p.indices.map((i, k) => [i, p.values[k]!]));
  return q.indices.reduce((sum, i, k) => sum + q.values[k]! * (weight.get(i) ?? 0), 0);
}

test('murmur3_32 gives the published MurmurHash3_x86_32 values', () => {
  const cases: [string | Uint8Array, number, number][] = [
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    [new Uint8Array(4), 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abc', 0, 0xb3dd93fa],
    ['hello', 0, 0x248bfa47],
    ['foo', 0, 0xf6a5c420],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ];
  for (const [input, seed, want] of cases) assert.equal(murmur3_32(input, seed), want, `${JSON.stringify(input)} seed ${seed}`);
  // SMHasher's self-test: keys 0..i-1 with seed 256-i, their hashes hashed again; covers every tail length and seed.
  const key = new Uint8Array(256);
  const hashes = new Uint8Array(1024);
  const view = new DataView(hashes.buffer);
  for (let i = 0; i < 256; i++) {
    key[i] = i;
    view.setUint32(i * 4, murmur3_32(key.subarray(0, i), 256 - i), true);
  }
  assert.equal(murmur3_32(hashes, 0), 0xb0f57ee3);
  assert.equal(murmur3_32('café ü', 7), murmur3_32(new TextEncoder().encode('café ü'), 7), 'a string hashes as its UTF-8');
});

test('tokens: Unicode words, lowercase, no diacritics, numbers kept, apostrophes inside words', () => {
  assert.deepEqual(tokenize('The Running dogs'), ['the', 'running', 'dogs']);
  assert.deepEqual(tokenize("Don’t stop: O'Neill's café, 2024-05 (3.14)!"), ["don't", 'stop', "o'neill's", 'cafe', '2024', '05', '3', '14']);
  assert.deepEqual(tokenize('Ｆｕｌｌ ﬁsh İstanbul naïve ÉCOLE'), ['full', 'fish', 'istanbul', 'naive', 'ecole'], 'NFKD: width, ligatures, accents');
  assert.deepEqual(tokenize('हिन्दी 東京 straße'), ['हिन्दी', '東京', 'straße'], 'other scripts keep their own marks');
  assert.deepEqual(tokenize(" 'quoted' rock'n'roll -- "), ['quoted', "rock'n'roll"]);
  assert.deepEqual(tokenize(''), []);
});

test('terms: stop words dropped (contractions too), possessives removed, English words stemmed', () => {
  assert.deepEqual(terms('The Running dogs'), ['run', 'dog']);
  assert.deepEqual(terms("I don't think it's the dog's ball"), ['think', 'dog', 'ball']);
  assert.deepEqual(terms("other's connections connected connecting"), ['connect', 'connect', 'connect']);
  assert.deepEqual(terms("O'Neill's 1990s résumé 東京"), ['oneil', '1990s', 'resum', '東京'], 'only a-z words are stemmed');
  const running = encodeSparse('The Running dogs', 'passage');
  assert.deepEqual(running.indices, ids('run', 'dog'));
  assert.equal(running.tokens, 3, 'tokens count the stop word');
});

test('query weights are 1 per unique term, whatever its count', () => {
  const q = encodeSparse('Dogs, dog and more DOGS chasing cats', 'query');
  assert.deepEqual(q.indices, ids('dog', 'chase', 'cat'));
  assert.deepEqual(q.values, [1, 1, 1]);
  assert.equal(q.tokens, 7);
});

test('passage weights are BM25 term-frequency saturation with K1 = 1.2, B = 0.75, AVGDL = 64', () => {
  assert.deepEqual([K1, B, AVGDL, MAX_TOKENS], [1.2, 0.75, 64, 512]);
  // dl = 3 terms: norm = 1.2·(0.25 + 0.75·3/64) = 0.3421875 = 438/1280.
  // cat, tf 2: 2·2.2 / (2 + 438/1280) = 2816/1499; chase, tf 1: 2.2 / (1 + 438/1280) = 1408/859.
  const p = encodeSparse('Cats chase the cats', 'passage');
  const want = new Map([[murmur3_32('cat', 0), 2816 / 1499], [murmur3_32('chase', 0), 1408 / 859]]);
  assert.deepEqual(p.indices, ids('cat', 'chase'));
  p.indices.forEach((i, k) => assert.ok(Math.abs(p.values[k]! - want.get(i)!) < 1e-12, `weight of ${i}: ${p.values[k]}`));
  assert.equal(p.tokens, 4);
  // A passage exactly AVGDL terms long reduces to tf·2.2 / (tf + 1.2).
  const avg = encodeSparse(Array.from({ length: 64 }, (_, i) => `w${i}`).join(' '), 'passage');
  assert.ok(avg.values.every((v) => Math.abs(v - 1) < 1e-12), 'tf 1 at dl = avgdl weighs 2.2 / 2.2');
});

test('indices ascend, are unique, and indices that collide add their weights', () => {
  const text = 'Sparse retrieval ranks passages by the terms they share with the query; retrieval of passages repeats terms.';
  for (const type of ['query', 'passage'] as const) {
    const e = encodeSparse(text, type);
    assert.equal(e.indices.length, e.values.length);
    for (let k = 1; k < e.indices.length; k++) assert.ok(e.indices[k - 1]! < e.indices[k]!, `${type}: ascending and unique`);
    assert.ok(e.indices.every((i) => Number.isInteger(i) && i >= 0 && i <= 0xffffffff), 'uint32');
  }
  // "29517" and "87960" (kept unstemmed as numbers) have the same MurmurHash3: one index, both weights.
  assert.equal(murmur3_32('29517', 0), murmur3_32('87960', 0));
  const one = 2.2 / (1 + 1.2 * (0.25 + (0.75 * 2) / 64));
  const p = encodeSparse('29517 87960', 'passage');
  assert.deepEqual(p.indices, [murmur3_32('29517', 0)]);
  assert.ok(Math.abs(p.values[0]! - 2 * one) < 1e-12);
  assert.deepEqual(encodeSparse('29517 87960', 'query').values, [2]);
});

test('all stop words give an empty vector', () => {
  assert.deepEqual(encodeSparse("The and of it's", 'passage'), { indices: [], values: [], tokens: 4 });
  assert.deepEqual(encodeSparse('  ...  ', 'query'), { indices: [], values: [], tokens: 0 });
});

test('truncate END drops the tokens past maxTokens; NONE rejects the input saying how long it is', () => {
  const words = Array.from({ length: 600 }, (_, i) => `term${i}`);
  const cut = encodeSparse(words.join(' '), 'passage');
  assert.equal(cut.tokens, MAX_TOKENS);
  assert.deepEqual(cut, encodeSparse(words.slice(0, MAX_TOKENS).join(' '), 'passage', { truncate: 'NONE' }));
  assert.throws(
    () => encodeSparse(words.join(' '), 'passage', { truncate: 'NONE' }),
    (e: unknown) => {
      assert.ok(e instanceof LarchError);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.equal(e.status, 400);
      assert.match(e.message, /too long/);
      assert.match(e.message, /600 tokens/);
      assert.match(e.message, /limit is 512/);
      return true;
    },
  );
  // Stop words count toward the limit.
  assert.equal(encodeSparse('the cat and the dog', 'query', { maxTokens: 3 }).indices.length, 1);
  assert.throws(() => encodeSparse('the cat and the dog', 'query', { maxTokens: 3, truncate: 'NONE' }), /has 5 tokens and the limit is 3/);
  assert.equal(encodeSparse('the cat and', 'query', { maxTokens: 3, truncate: 'NONE' }).tokens, 3);
});

test('bad input type and options are INVALID_ARGUMENT', () => {
  const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof LarchError && e.code === 'INVALID_ARGUMENT');
  bad(() => encodeSparse('x', 'document' as 'query'));
  bad(() => encodeSparse('x', 'query', { maxTokens: 0 }));
  bad(() => encodeSparse('x', 'query', { maxTokens: 1.5 }));
  bad(() => encodeSparse('x', 'query', { truncate: 'START' as 'END' }));
  bad(() => encodeSparse(42 as unknown as string, 'query'));
});

test('the sparse dot product ranks a small corpus like BM25', () => {
  const corpus: Record<string, string> = {
    pasta: 'Boil the pasta in salted water for nine minutes, then toss it with garlic, olive oil and parmesan.',
    bread: 'Knead the dough for ten minutes, let it rise for an hour and bake the bread until the crust is golden.',
    football: 'The striker scored twice in the second half and the home team won the league title on goal difference.',
    tennis: 'She served three aces in the final set and won the championship after a long rally at match point.',
    physics: 'Experiments with entangled photons test quantum entanglement: measuring one particle fixes the state of its partner.',
    computing: 'A quantum computer stores information in qubits, which can hold superpositions of zero and one.',
  };
  const query = encodeSparse('quantum entanglement experiments', 'query');
  const scores = Object.entries(corpus).map(([id, text]) => [id, dot(query, encodeSparse(text, 'passage'))] as const);
  scores.sort((a, b) => b[1] - a[1]);
  assert.deepEqual(scores.map(([id]) => id).slice(0, 2), ['physics', 'computing'], JSON.stringify(scores));
  for (const [id, score] of scores.slice(2)) assert.equal(score, 0, `${id} shares no term with the query`);

  // Same term counts, more other words: length normalisation scores the longer passage lower.
  const short = 'Quantum entanglement links two particles.';
  const long = `${short} Researchers in several laboratories across Europe and Asia published detailed measurements, careful calibrations, long appendices and many figures.`;
  const [s, l] = [short, long].map((t) => dot(query, encodeSparse(t, 'passage')));
  assert.ok(s! > l!, `short ${s} > long ${l}`);
  // More occurrences of a term raise its weight, with diminishing returns (saturation).
  const w = (n: number) => encodeSparse(Array(n).fill('quantum').join(' '), 'passage').values[0]!;
  assert.ok(w(1) < w(2) && w(2) < w(3) && w(3) - w(2) < w(2) - w(1) && w(50) < K1 + 1);
});
