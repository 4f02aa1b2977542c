/**
 * Worker entry of an index-builder actor. Namespace actors send it build jobs over a MessagePort of their host's
 * (set up by the supervisor); a job turns rows of one or more segments (a frozen memtable, or slabs to merge) into
 * one slab: columns gathered from shared memory, metadata postings, the slab file written and fsynced, and a fresh
 * arena in shared memory that the namespace actor swaps in; slabs large enough also get an HNSW graph, built into
 * that arena by build threads on every core and stored in the slab file. Jobs on one port run one at a time.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { MetadataPostings } from '../../engine/storage/postings.js';
import { encodeSlab } from '../../engine/storage/slab-file.js';
import { FileSlabStore } from '../../engine/storage/slab-store.js';
import { toLarchError } from '../../engine/core/errors.js';
import { arenaFromColumns, gatherColumns } from '../shared/slab-columns.js';
import { graphBytes } from '../shared/hnsw-layout.js';
import type { BuilderApi, BuildJob, BuildMessage, BuildReply, BuildResult } from '../shared/build-job.js';
import { buildHnswParallel } from './hnsw-build.js';
import { runInBackground } from '../shared/thread-priority.js';

async function build(job: BuildJob): Promise<BuildResult> {
  const cols = gatherColumns(job.dim, job.sources);
  const postings = MetadataPostings.build(job.meta, job.indexed).encode();
  const rows = job.ids.length;
  const metaJson = job.meta.map((m) => (m === undefined ? undefined : JSON.stringify(m)));
  const arena = arenaFromColumns(job.dim, rows, cols, job.ids, metaJson);
  const g = job.graph;
  const prefix = g?.prefix && { memory: job.sources[0]!.arena.memory, handle: g.prefix };
  const graph = g && job.dim > 0 && rows >= g.minRows ? await buildHnswParallel(arena, g.metric, { ...g, prefix }) : undefined;
  let bytes = 0;
  if (job.slabDir) {
    const chunks = encodeSlab({
      dim: job.dim,
      lsn: job.lsn,
      ids: job.ids,
      ...cols,
      metaJson,
      postings,
      tombstones: job.tombstones,
      graph: graph && graphBytes(arena.memory, graph),
    });
    bytes = await new FileSlabStore(job.slabDir).write(job.name, chunks);
  }
  return { arena: arena.state(), postings, bytes, graph };
}

function serve(port: MessagePort): void {
  let chain: Promise<unknown> = Promise.resolve();
  port.on('message', (m: BuildMessage) => {
    chain = chain.then(async () => {
      let reply: BuildReply;
      try {
        reply = { id: m.id, ok: await build(m.job) };
      } catch (err) {
        reply = { id: m.id, err: toLarchError(err).toJSON() };
      }
      port.postMessage(reply);
    });
  });
}

const api: BuilderApi = {
  connect(port: MessagePort): void {
    serve(port);
  },
  crash(): void {
    setImmediate(() => process.exit(72));
  },
};

// Everything here is background work: requests come first (the libuv pool, where the request log writes, was
// started by the main thread's open at normal priority and does not inherit this).
runInBackground();
Comlink.expose(api, nodeEndpoint(parentPort!));
