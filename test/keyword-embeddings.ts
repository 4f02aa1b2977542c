/**
 * A deterministic test embedding for the integration tests: a bag of keywords over a fixed vocabulary (one axis
 * per word, a trailing "s" dropped, other words ignored) plus a constant bias axis, normalised to unit length.
 * The bias keeps every cosine above 0 (LangChain drops matches whose score is exactly 0) and makes texts that share
 * no keyword still comparable; the expected results of the tests follow by hand from the word counts.
 */
import { Embeddings } from '@langchain/core/embeddings';
import { BaseEmbedding } from '@llamaindex/core/embeddings';

export const VOCABULARY = ['cat', 'dog', 'fish', 'food', 'toy', 'car', 'train', 'plane'] as const;
const BIAS = 0.5;
export const DIMENSION = VOCABULARY.length + 1;

export function embed(text: string): number[] {
  const v = new Array<number>(DIMENSION).fill(0);
  v[VOCABULARY.length] = BIAS;
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const i = (VOCABULARY as readonly string[]).indexOf(word.replace(/s$/, ''));
    if (i >= 0) v[i]! += 1;
  }
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** The same embedding as a LangChain `Embeddings`. */
export class KeywordEmbeddings extends Embeddings {
  constructor() {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map(embed);
  }
  async embedQuery(text: string): Promise<number[]> {
    return embed(text);
  }
}

/** The same embedding as a LlamaIndex `BaseEmbedding`. */
export class KeywordLlamaEmbedding extends BaseEmbedding {
  constructor() {
    super();
  }
  async getTextEmbedding(text: string): Promise<number[]> {
    return embed(text);
  }
}
