/**
 * Worker entry of a namespace host's prefault thread (started by prefault.ts): touches the pages of arena memory it
 * is told about, so that the host thread finds them mapped when it writes the rows. It writes with an atomic add
 * of 0, which leaves every value as it is even while the host writes the same page.
 */
import { parentPort } from 'node:worker_threads';
import type { PrefaultMessage } from './prefault.js';

const PAGE_BYTES = 4096;
const memories = new Map<string, WebAssembly.Memory>();

function touch(memory: WebAssembly.Memory, ranges: number[]): void {
  // Taken per message: the arena grows, and a view covers only the size it saw.
  const words = new Int32Array(memory.buffer);
  const limit = words.length * 4;
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    const end = Math.min(ranges[i + 1]!, limit);
    for (let at = ranges[i]! & ~(PAGE_BYTES - 1); at < end; at += PAGE_BYTES) Atomics.add(words, at >>> 2, 0);
  }
}

parentPort!.on('message', (batch: PrefaultMessage[]) => {
  for (const m of batch) {
    if (m.memory) memories.set(m.arena, m.memory);
    if (m.forget) memories.delete(m.arena);
    const memory = memories.get(m.arena);
    if (memory && m.ranges) touch(memory, m.ranges);
  }
});
