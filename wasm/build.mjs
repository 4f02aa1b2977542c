// Compiles wasm/assembly/kernels.ts to dist/wasm/kernels.wasm and checks that
// the result is safe to instantiate many times on one shared memory.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'wasm', 'assembly', 'kernels.ts');
const outFile = join(root, 'dist', 'wasm', 'kernels.wasm');

const REQUIRED_EXPORTS = [
  'dot', 'l2sq', 'norm', 'cosine', 'scoreBlock', 'sparseDot', 'scanTopK', 'heapSortDesc',
  'hnswScratchBytes', 'hnswScratchInit', 'hnswDistances', 'hnswInsert', 'hnswSearch', 'scanBitsTopK', 'bitCount',
  'hnswBuildControlBytes', 'hnswInsertConcurrent',
];

function fail(msg) {
  // Never leave a stale kernel behind that a later run could pick up.
  rmSync(outFile, { force: true });
  console.error(`build:wasm: ${msg}`);
  process.exit(1);
}

// The binary is captured in memory and written only once it passes the checks.
let bytes;
const { error } = await asc.main([
  relative(root, entry),
  '--outFile', 'kernels.wasm',
  '--baseDir', root,
  '-O3',
  '--runtime', 'stub',
  '--noAssert',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory', '1',
  '--maximumMemory', '65536',
  '--enable', 'simd',
  '--enable', 'threads',
], {
  stdout: process.stdout,
  stderr: process.stderr,
  writeFile: (name, contents) => {
    if (name.endsWith('.wasm')) bytes = Buffer.from(contents);
  },
});
if (error) fail(`compile failed: ${error.message}`);
if (!bytes) fail('compiler produced no binary');

/** Reads an unsigned LEB128 at pos; returns [value, nextPos]. */
function uleb(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) fail('truncated LEB128 in output');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

// Workers share one memory: a data segment would be re-copied over live
// vectors by every instantiation, so the module must not have one.
if (bytes.readUInt32LE(0) !== 0x6d736100) fail('output is not a wasm binary');
const sectionIds = [];
for (let pos = 8; pos < bytes.length;) {
  const id = bytes[pos++];
  let size;
  [size, pos] = uleb(bytes, pos);
  sectionIds.push(id);
  pos += size;
}
if (sectionIds.includes(11) || sectionIds.includes(12)) {
  fail('module has a data section; kernels must not use static data (string literals, static arrays, allocation)');
}

const mod = new WebAssembly.Module(bytes);
const imports = WebAssembly.Module.imports(mod);
const mem = imports.find((i) => i.kind === 'memory');
if (!mem || mem.module !== 'env' || mem.name !== 'memory') fail('module must import env.memory');
for (const i of imports) {
  if (i.module !== 'env' || (i.kind === 'function' && i.name !== 'abort') || i.kind === 'table' || i.kind === 'global') {
    fail(`unexpected import ${i.module}.${i.name} (${i.kind})`);
  }
}
const exported = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
const missing = REQUIRED_EXPORTS.filter((n) => !exported.has(n));
if (missing.length) fail(`missing exports: ${missing.join(', ')}`);

// Instantiating on a shared memory also proves the memory type matches.
new WebAssembly.Instance(mod, {
  env: {
    memory: new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }),
    abort: () => { throw new Error('wasm abort'); },
  },
});

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, bytes);
console.log(`build:wasm: ${relative(root, outFile)} (${bytes.length} bytes, sections ${sectionIds.join(',')})`);
