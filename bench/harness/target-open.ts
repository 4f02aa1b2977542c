/**
 * Turns a `--target` value into a target: `memory`, `exact`, `hnswlib`, an http(s) URL, or a data directory.
 *
 * @module
 */
import { EngineTarget } from './target-engine.js';
import { ExactTarget, HnswlibTarget } from './target-baselines.js';
import { openHttpTarget } from './target-http.js';
import type { BenchTarget } from './target.js';

/** A target that cannot be opened or reached: the CLI prints the message and exits 2. */
export class TargetError extends Error {}

export async function openTarget(spec: string, apiKey: string | undefined): Promise<BenchTarget> {
  try {
    if (spec === 'memory') return await EngineTarget.open(':memory:');
    if (spec === 'exact') return new ExactTarget();
    if (spec === 'hnswlib') return await HnswlibTarget.load();
    if (/^https?:\/\//i.test(spec)) return await openHttpTarget(spec, apiKey);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new Error(`unsupported target URL scheme in '${spec}' (use http:// or https://)`);
    return await EngineTarget.open(spec);
  } catch (err) {
    throw new TargetError(`target ${spec}: ${(err as Error).message}`);
  }
}
