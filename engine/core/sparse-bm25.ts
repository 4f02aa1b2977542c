/**
 * The built-in stand-in for Pinecone's hosted sparse model `pinecone-sparse-english-v0`: a stateless BM25-style
 * encoder that needs no weights. Text is tokenized, stop words dropped, words Porter-stemmed and each stem hashed
 * (MurmurHash3 x86_32, seed 0) to a uint32 index, so a query and a passage share an index exactly when they share
 * a stem, and the sparse dot product of their encodings is a BM25 score.
 *
 * - Tokens: NFKD, combining diacritics removed (café = cafe), lowercase, then runs of letters and digits (numbers
 *   are kept); an apostrophe between two such runs stays inside the word ("don't", "o'neill"), typographic
 *   apostrophes (’ ʼ) count as "'". Every other character separates words, so "3.14" is "3" and "14".
 * - Terms: Snowball English stop words are dropped (contractions included); a possessive "'s" is removed, then any
 *   other apostrophe ("o'neill" = "oneill"); words of a–z only are Porter-stemmed (the algorithm is defined for
 *   those), numbers and other scripts are kept as they are.
 * - Weights: a passage's term weighs tf·(K1+1) / (tf + K1·(1 − B + B·dl/AVGDL)), BM25's saturated term frequency,
 *   where dl is the passage's term count after stop words. A query's term weighs 1 whatever its count: BM25 puts
 *   the IDF on the query side, and IDF needs corpus statistics a stateless model does not have, so every term
 *   counts alike (the score is BM25 with IDF = 1). Two stems hashing to one index (rare) add their weights.
 * - Limits: `tokens` counts words before stop-word removal (Pinecone bills usage in tokens), after truncation.
 *   The hosted model counts sub-word tokens; words are the honest unit here, so limits hit a little later.
 */
import { stemmer } from 'stemmer';
import { invalidArgument } from './errors.js';
import { murmur3_32 } from './murmur3.js';
import { ENGLISH_STOP_WORDS } from './stop-words.js';

export { murmur3_32 } from './murmur3.js';

/** BM25's term-frequency saturation: the usual default (Robertson; Lucene, Elasticsearch, Pyserini). */
export const K1 = 1.2;
/** BM25's length normalisation strength: the usual default. */
export const B = 0.75;
/**
 * The average passage length, in terms after stop words, that BM25 normalises against. A stateless encoder sees
 * no corpus, so it is fixed: a retrieval chunk of ~100–150 words keeps about half of them after stop words.
 */
export const AVGDL = 64;
/** Default and Pinecone's maximum of tokens per input for `pinecone-sparse-english-v0`. */
export const MAX_TOKENS = 512;

/** Which side of the search a text is on: queries and passages are weighted differently. */
export type SparseInputType = 'query' | 'passage';

/** Options of {@link encodeSparse}. */
export interface SparseEncodeOptions {
  /** Tokens encoded at most (default {@link MAX_TOKENS}). */
  maxTokens?: number;
  /** What to do with a longer input: 'END' (default) drops the tokens past the limit, 'NONE' rejects the input. */
  truncate?: 'END' | 'NONE';
}

/** A sparse vector (indices ascending and unique) and the tokens it was made from. */
export interface SparseEncoding {
  indices: number[];
  values: number[];
  tokens: number;
}

// Only the combining diacritics blocks: other scripts' marks (Indic vowel signs ...) are parts of their letters.
const DIACRITICS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const APOSTROPHES = /[\u2019\u02bc]/g;
const RUN = "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}]*";
const WORD = new RegExp(`${RUN}(?:'${RUN})*`, 'gu');
const ASCII_WORD = /^[a-z]+$/;

/** The words of `text` in order, normalised (see the module comment); stop words included. */
export function tokenize(text: string): string[] {
  const normal = text.normalize('NFKD').replace(DIACRITICS, '').toLowerCase().replace(APOSTROPHES, "'");
  return normal.match(WORD) ?? [];
}

/** The index term of a word from {@link tokenize}, or null for a stop word. */
export function termOf(word: string): string | null {
  if (ENGLISH_STOP_WORDS.has(word)) return null;
  const base = word.endsWith("'s") ? word.slice(0, -2) : word;
  if (base !== word && ENGLISH_STOP_WORDS.has(base)) return null;
  const plain = base.replaceAll("'", '');
  return ASCII_WORD.test(plain) ? stemmer(plain) : plain;
}

/**
 * Encodes `text` as the sparse vector `pinecone-sparse-english-v0` stands for (see the module comment).
 * An input of stop words only gives empty arrays.
 * @throws LarchError INVALID_ARGUMENT for an unknown input type or option, or (truncate 'NONE') an input longer
 *   than `maxTokens`, saying how many tokens it has and the limit.
 */
export function encodeSparse(text: string, inputType: SparseInputType, opts: SparseEncodeOptions = {}): SparseEncoding {
  if (typeof text !== 'string') throw invalidArgument(`the text to embed must be a string, got ${typeof text}`);
  if (inputType !== 'query' && inputType !== 'passage') {
    throw invalidArgument(`input_type must be 'query' or 'passage', got ${JSON.stringify(inputType)}`);
  }
  const maxTokens = opts.maxTokens ?? MAX_TOKENS;
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 1) throw invalidArgument(`maxTokens must be a positive integer, got ${maxTokens}`);
  const truncate = opts.truncate ?? 'END';
  if (truncate !== 'END' && truncate !== 'NONE') throw invalidArgument(`truncate must be 'END' or 'NONE', got ${JSON.stringify(truncate)}`);

  let words = tokenize(text);
  if (words.length > maxTokens) {
    if (truncate === 'NONE') {
      throw invalidArgument(
        `The input is too long: it has ${words.length} tokens and the limit is ${maxTokens}. Shorten it, or set truncate to 'END' to drop the tokens past the limit.`,
      );
    }
    words = words.slice(0, maxTokens);
  }

  const tf = new Map<string, number>();
  let dl = 0;
  for (const word of words) {
    const term = termOf(word);
    if (term === null) continue;
    tf.set(term, (tf.get(term) ?? 0) + 1);
    dl++;
  }
  const norm = K1 * (1 - B + (B * dl) / AVGDL);
  const byIndex = new Map<number, number>();
  for (const [term, n] of tf) {
    const weight = inputType === 'query' ? 1 : (n * (K1 + 1)) / (n + norm);
    const index = murmur3_32(term, 0);
    byIndex.set(index, (byIndex.get(index) ?? 0) + weight);
  }
  const indices = [...byIndex.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => byIndex.get(i)!), tokens: words.length };
}
