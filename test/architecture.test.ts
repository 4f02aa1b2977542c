/**
 * The house rules of ARCHITECTURE.md, checked on the source tree: every import points down (public API -> actors ->
 * core and storage -> wasm), the thread folders of actors/ meet only in actors/shared, no cycle between files (type
 * imports count) or folders, cli/, server/ and bench/ reach the engine only through engine/index.ts and engine/internal.ts,
 * and no product file outside wasm/assembly/ grows past 500 lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAX_LINES = 500;

/**
 * Layers, top first: a file may import files of its own layer and of the layers it lists. A layer is a folder of
 * the tree (its files, not its sub-folders); `engine` is the API (the files directly in engine/), and
 * engine/internal.ts, the entry for server/ and bench/, may re-export from any layer below the API. The wasm layer
 * is the kernel's loader with the one kernel source TypeScript reads, wasm/assembly/layout.ts.
 */
const LAYERS: Record<string, readonly string[]> = {
  cli: ['bench', 'server', 'engine', 'engine/internal'],
  bench: ['server', 'engine', 'engine/internal'],
  server: ['engine', 'engine/internal'],
  'engine/internal': ['engine', 'actors/main', 'actors/host', 'actors/builder', 'actors/executor', 'actors/inference', 'actors/reader', 'actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  engine: ['actors/main', 'actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  'actors/main': ['actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  'actors/host': ['actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  'actors/builder': ['actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  'actors/executor': ['actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  'actors/inference': ['actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  'actors/reader': ['actors/shared', 'engine/core', 'engine/storage', 'wasm'],
  'actors/shared': ['engine/core', 'engine/storage', 'wasm'],
  'engine/storage': ['engine/core', 'wasm'],
  'engine/core': ['wasm'],
  wasm: ['wasm/assembly'],
  'wasm/assembly': [],
};
/** What server/ and bench/ may import of the engine: the public entry and the one internal entry. */
const ENGINE_ENTRIES = new Set(['engine/index.ts', 'engine/internal.ts']);

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir))) {
    const rel = posix.join(dir, e);
    if (statSync(join(ROOT, rel)).isDirectory()) sources(rel, out);
    else if (/\.(ts|mjs)$/.test(e) && !e.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The layer a file belongs to (see LAYERS). */
function layerOf(file: string): string {
  const dir = posix.dirname(file);
  if (file === 'engine/internal.ts') return 'engine/internal';
  if (file === 'wasm/assembly/layout.ts') return 'wasm';
  if (dir.startsWith('engine/core')) return 'engine/core';
  if (dir.startsWith('engine/storage')) return 'engine/storage';
  if (dir === 'engine') return 'engine';
  if (dir.startsWith('wasm/assembly')) return 'wasm/assembly';
  if (dir.startsWith('actors/')) return dir.split('/').slice(0, 2).join('/');
  return dir.split('/')[0]!;
}

/** Relative imports of a file (static, dynamic and re-exports; type-only ones too), as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
    const spec = (m[1] ?? m[2])!;
    out.push(posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

type Graph = Map<string, string[]>;

function layerViolations(graph: Graph): string[] {
  const wrong: string[] = [];
  for (const [file, deps] of graph) {
    const from = layerOf(file);
    const allowed = LAYERS[from];
    if (!allowed) {
      wrong.push(`${file}: no layer rule for ${from}`);
      continue;
    }
    for (const dep of deps) {
      const to = layerOf(dep);
      if (to !== from && !allowed.includes(to)) wrong.push(`${file} (${from}) imports ${dep} (${to})`);
    }
  }
  return wrong;
}

function entryViolations(graph: Graph): string[] {
  const wrong: string[] = [];
  for (const [file, deps] of graph) {
    if (!/^(server|bench|cli)\//.test(file)) continue;
    for (const dep of deps) {
      const inside = dep.startsWith('engine/') || dep.startsWith('actors/') || dep.startsWith('wasm/');
      if (inside && !ENGINE_ENTRIES.has(dep)) wrong.push(`${file} imports ${dep}`);
    }
  }
  return wrong;
}

function fileCycles(graph: Graph): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
      else if (!state.has(d) && graph.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles;
}

/** Folders are the directories of the files (engine/ alone holds the API). */
function folderCycles(graph: Graph): string[] {
  const edges = new Map<string, Set<string>>();
  for (const [file, deps] of graph) {
    const a = posix.dirname(file);
    for (const d of deps) {
      const b = posix.dirname(d);
      if (a !== b) (edges.get(a) ?? edges.set(a, new Set()).get(a)!).add(b);
    }
  }
  const reach = (from: string, to: string, seen: Set<string>): boolean => {
    if (from === to) return true;
    seen.add(from);
    for (const n of edges.get(from) ?? []) if (!seen.has(n) && reach(n, to, seen)) return true;
    return false;
  };
  const out: string[] = [];
  for (const [a, outs] of edges) for (const b of outs) if (reach(b, a, new Set())) out.push(`${a} -> ${b} -> ... -> ${a}`);
  return out;
}

// bench/harness ships (larchdb bench); the other bench/ scripts are developer tools.
const product = ['engine', 'actors', 'wasm', 'server', 'cli', 'bench/harness'].flatMap((d) => sources(d));
const files = [...product, ...sources('bench').filter((f) => !f.startsWith('bench/harness/'))];
const graph: Graph = new Map(files.map((f) => [f, importsOf(f)]));

test('every import points down: API -> actors -> core and storage -> wasm; thread folders meet only in actors/shared', () => {
  const wrong = layerViolations(graph);
  assert.deepEqual(wrong, [], `imports against the layering:\n${wrong.join('\n')}`);
});

test('cli/, server/ and bench/ use the engine only through engine/index.ts and engine/internal.ts', () => {
  const wrong = entryViolations(graph);
  assert.deepEqual(wrong, [], wrong.join('\n'));
});

test('no cycle between files (type-only imports count) or between folders', () => {
  const cycles = fileCycles(graph);
  assert.deepEqual(cycles, [], `file cycles:\n${cycles.join('\n')}`);
  const folders = folderCycles(graph);
  assert.deepEqual(folders, [], `folder cycles:\n${folders.join('\n')}`);
});

test(`no product file outside wasm/assembly/ is over ${MAX_LINES} lines`, () => {
  const long = product
    .filter((f) => !f.startsWith('wasm/assembly/'))
    .map((f) => ({ f, lines: readFileSync(join(ROOT, f), 'utf8').split('\n').length }))
    .filter((x) => x.lines > MAX_LINES)
    .map((x) => `${x.f}: ${x.lines} lines`);
  assert.deepEqual(long, [], long.join('\n'));
});

test('the checks read the whole tree and catch what they are meant to catch', () => {
  for (const l of Object.keys(LAYERS)) assert.ok(files.some((f) => layerOf(f) === l), `no files in layer ${l}`);
  assert.ok([...graph.values()].reduce((n, d) => n + d.length, 0) > 200, 'imports were parsed');
  assert.ok(graph.get('engine/database.ts')!.includes('actors/main/supervisor.ts'), 'a known import is seen');
  assert.ok(graph.get('actors/main/host-handle.ts')!.includes('actors/shared/host-api.ts'), 'type-only imports are seen');
  // A made-up tree with one of each fault.
  const bad: Graph = new Map([
    ['engine/core/a.ts', ['engine/storage/b.ts']],
    ['engine/storage/b.ts', ['engine/core/a.ts']],
    ['actors/shared/c.ts', ['actors/host/d.ts']],
    ['actors/host/d.ts', ['actors/shared/c.ts']],
    ['server/e.ts', ['engine/core/a.ts']],
  ]);
  assert.deepEqual(layerViolations(bad), [
    'engine/core/a.ts (engine/core) imports engine/storage/b.ts (engine/storage)',
    'actors/shared/c.ts (actors/shared) imports actors/host/d.ts (actors/host)',
    'server/e.ts (server) imports engine/core/a.ts (engine/core)',
  ]);
  assert.deepEqual(entryViolations(bad), ['server/e.ts imports engine/core/a.ts']);
  assert.equal(fileCycles(bad).length, 2);
  assert.equal(folderCycles(bad).length, 4);
});
