/**
 * Worker entry of a namespace host: one thread that runs many namespace actors (those whose (index, namespace)
 * hash to it). The main thread drives it through comlink; vector payloads arrive in the host's ring and are
 * copied out synchronously when their control message arrives, so ring frames are freed in order even while an
 * actor's mailbox is busy.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { IndexConfig } from '../../engine/core/index-config.js';
import { toLarchError } from '../../engine/core/errors.js';
import { fsyncDir } from '../../engine/storage/atomic-file.js';
import { RequestLog, type Durability } from '../../engine/storage/request-log.js';
import { FileSlabStore } from '../../engine/storage/slab-store.js';
import { readManifest, writeManifest } from '../../engine/storage/manifest.js';
import { NamespaceActor, Op, filterBody, type Applied, type NamespaceStorage, type PlanRequest } from './namespace-actor.js';
import { RingConsumer } from '../shared/ring.js';
import { decodeRecords, encodeRecordsToBytes } from '../../engine/storage/record-frame.js';
import { hostFor, indexDir, namespaceDir } from '../shared/routing.js';
import { loadSlabSegments } from './slab-loader.js';
import { hnswSettings } from '../shared/hnsw.js';
import { BuilderLink } from './builder-link.js';
import type { Reply } from '../main/host-handle.js';

export interface HostInit {
  ring: SharedArrayBuffer;
  dataDir: string | null;
  hostIndex: number;
  hostCount: number;
  mailboxLimit: number;
  durability: Durability;
  memtableBytes: number;
  hnswMinRows: number;
}

let init!: HostInit;
let ring!: RingConsumer;
const builder = new BuilderLink();
const indexes = new Map<string, IndexConfig>();
const actors = new Map<string, NamespaceActor>();

const key = (index: string, ns: string) => `${index}\u0000${ns}`;

function config(index: string): IndexConfig {
  const cfg = indexes.get(index);
  if (!cfg) throw new Error(`index '${index}' is not open on this host`);
  return cfg;
}

function storageFor(dir: string, log: RequestLog): NamespaceStorage {
  return { dir, log, slabs: new FileSlabStore(join(dir, 'slabs')), slabDir: join(dir, 'slabs') };
}

/** The actor of (index, ns); a new namespace gets one whose first durable write creates its directory. */
function actor(index: string, ns: string, create: boolean): NamespaceActor | undefined {
  const k = key(index, ns);
  let a = actors.get(k);
  if (!a && create) {
    const cfg = config(index);
    const opts = { mailboxLimit: init.mailboxLimit, memtableBytes: init.memtableBytes, hnswMinRows: init.hnswMinRows, builder };
    if (init.dataDir) {
      const dir = namespaceDir(init.dataDir, index, ns);
      const log = RequestLog.fresh(join(dir, 'log'), init.durability, async () => {
        await makeDurableDir(init.dataDir!, dir);
        await writeManifest(dir, created.manifest());
      });
      const created: NamespaceActor = new NamespaceActor(cfg, ns, { ...opts, storage: storageFor(dir, log) });
      a = created;
    } else {
      a = new NamespaceActor(cfg, ns, { ...opts, storage: null });
    }
    actors.set(k, a);
  }
  return a;
}

/** Creates `dir` (under `root`) and fsyncs every parent whose entries changed, so the directory survives a crash. */
async function makeDurableDir(root: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let d = dir; d.length > root.length; d = dirname(d)) await fsyncDir(dirname(d));
}

/** Recovers one namespace directory: manifest, slabs into shared memory, then the log after the slabs' LSN. */
async function openNamespace(cfg: IndexConfig, dir: string): Promise<void> {
  const m = await readManifest(dir);
  // No manifest: the namespace's first write never became durable (the database's open sweeps such directories).
  if (!m || hostFor(cfg.name, m.namespace, init.hostCount) !== init.hostIndex) return;
  const storage = storageFor(dir, null as unknown as RequestLog);
  const segments = await loadSlabSegments(storage.slabs, storage.slabDir, m, cfg.dimension ?? 0, hnswSettings(cfg).efSearch);
  const a = new NamespaceActor(cfg, m.namespace, {
    mailboxLimit: init.mailboxLimit,
    memtableBytes: init.memtableBytes,
    hnswMinRows: init.hnswMinRows,
    builder,
    storage,
    loaded: { segments, lsn: m.lsn, nextSeq: m.nextSeq },
  });
  const { log, report } = await RequestLog.open(join(dir, 'log'), { durability: init.durability, afterLsn: m.lsn }, (e) => a.replay(e));
  storage.log = log;
  a.recovery = report;
  if (report.torn) {
    console.warn(
      `[larchdb] namespace '${m.namespace}' of index '${cfg.name}': cut a torn record off the end of ${report.torn.file} at byte ${report.torn.offset} (${report.torn.droppedBytes} bytes; a write that was never acknowledged).`,
    );
  }
  actors.set(key(cfg.name, m.namespace), a);
  a.afterReplay();
}

async function loadIndex(cfg: IndexConfig): Promise<number> {
  if (!init.dataDir) return 0;
  let entries: string[];
  try {
    entries = await readdir(indexDir(init.dataDir, cfg.name));
  } catch {
    return 0;
  }
  const before = actors.size;
  for (const e of entries) if (e.startsWith('ns-')) await openNamespace(cfg, join(indexDir(init.dataDir, cfg.name), e));
  return actors.size - before;
}

/**
 * Runs a write through the actor's mailbox (for order) and waits for it to be durable and applied. A write that
 * queued behind its namespace's deletion goes to the namespace's next incarnation.
 */
function submit<T>(index: string, ns: string, op: Op, body: Uint8Array, create: boolean): Promise<Applied<T | undefined>> {
  const a = actor(index, ns, create);
  if (!a) return Promise.resolve({ lsn: 0, value: undefined });
  const k = key(index, ns);
  return a.mailbox
    .run(() => (actors.get(k) === a ? a.write<T>(op, body) : null))
    .then((box) => (box ? box.done : submit<T>(index, ns, op, body, create)));
}

/** Reads the frame that belongs to this call: from the ring, or from its own buffer when it was too big. */
function takeFrame(big: SharedArrayBuffer | undefined): Uint8Array {
  return big ? new Uint8Array(big).slice() : ring.read();
}

async function closeActors(match: (a: NamespaceActor) => boolean): Promise<void> {
  const doomed = [...actors].filter(([, a]) => match(a));
  for (const [k] of doomed) actors.delete(k);
  await Promise.all(doomed.map(([, a]) => a.close()));
}

const api = {
  init(opts: HostInit): void {
    init = opts;
    ring = new RingConsumer(opts.ring);
  },
  /** The supervisor hands in the job port of index builder `slot` (again after that builder restarts). */
  connectBuilder(slot: number, port: MessagePort): void {
    builder.attach(slot, port);
  },
  async openIndex(cfg: IndexConfig): Promise<number> {
    indexes.set(cfg.name, cfg);
    return loadIndex(cfg);
  },
  configureIndex(cfg: IndexConfig): void {
    indexes.set(cfg.name, cfg);
    for (const a of actors.values()) if (a.cfg.name === cfg.name) a.cfg = cfg;
  },
  async dropIndex(index: string): Promise<void> {
    indexes.delete(index);
    await closeActors((a) => a.cfg.name === index);
  },
  upsert(index: string, ns: string, big?: SharedArrayBuffer) {
    return submit<number>(index, ns, Op.Upsert, takeFrame(big), true);
  },
  update(index: string, ns: string, big?: SharedArrayBuffer) {
    return submit<void>(index, ns, Op.Update, takeFrame(big), false);
  },
  deleteIds(index: string, ns: string, ids: string[]) {
    return submit<void>(index, ns, Op.DeleteIds, encodeRecordsToBytes(ids.map((id) => ({ id }))), false);
  },
  deleteByFilter(index: string, ns: string, filter: unknown) {
    return submit<number>(index, ns, Op.DeleteByFilter, filterBody(filter), false);
  },
  deleteAll(index: string, ns: string) {
    return submit<void>(index, ns, Op.DeleteAll, new Uint8Array(0), false);
  },
  /** Deletes a namespace: its writes drain, its directory is renamed away (atomically), then removed. */
  async deleteNamespace(index: string, ns: string): Promise<boolean> {
    const a = actor(index, ns, false);
    if (!a) return false;
    await a.mailbox.run(async () => {
      await a.close();
      if (init.dataDir) {
        const dir = namespaceDir(init.dataDir, index, ns);
        const trash = join(indexDir(init.dataDir, index), `trash-${randomUUID()}`);
        try {
          await rename(dir, trash);
          await fsyncDir(indexDir(init.dataDir, index));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        actors.delete(key(index, ns));
        await rm(trash, { recursive: true, force: true });
      } else actors.delete(key(index, ns));
    });
    return true;
  },
  plan(index: string, ns: string, req: PlanRequest, hasQuery: boolean) {
    const query = hasQuery ? decodeRecords(takeFrame(undefined))[0] : undefined;
    const a = actor(index, ns, false);
    if (!a) return { empty: true as const, readUnits: 1, lsn: 0 };
    return a.mailbox.run(() => a.plan(req, query));
  },
  hydrate(index: string, ns: string, planId: number, hits: [number, number][], includeMetadata: boolean) {
    const a = actor(index, ns, false);
    if (!a) throw new Error(`namespace '${ns}' vanished during a query`);
    return a.mailbox.run(() => a.hydrate(planId, hits, includeMetadata));
  },
  release(index: string, ns: string, planId: number): void {
    actor(index, ns, false)?.release(planId);
  },
  fetch(index: string, ns: string, ids: string[]) {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.fetch(ids)) : null;
  },
  list(index: string, ns: string, prefix: string, limit: number, after: string | undefined) {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.list(prefix, limit, after)) : { ids: [], more: false };
  },
  /** Record counts of this host's namespaces of an index (matching `filter` when given). */
  async stats(index: string, filter: unknown): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const a of actors.values()) {
      if (a.cfg.name !== index) continue;
      out[a.name] = await a.mailbox.run(() => a.countMatching(filter));
    }
    return out;
  },
  /** Segments, slabs and LSN of a namespace (diagnostics, tests). */
  storageInfo(index: string, ns: string) {
    return actor(index, ns, false)?.describe() ?? null;
  },
  /** Freezes the memtables of an index (or one namespace) and waits until they are slabs. */
  async flush(index: string, ns?: string): Promise<void> {
    for (const a of actors.values()) if (a.cfg.name === index && (ns === undefined || a.name === ns)) await a.flushNow();
  },
  /** Drains every namespace's writes and closes its files. */
  async close(): Promise<void> {
    await closeActors(() => true);
  },
  /** Fault injection for tests: the thread dies as a crash would kill it. */
  crash(): void {
    setImmediate(() => process.exit(70));
  },
};

export type HostApi = typeof api;

/** Every method answers `{ ok }` or `{ err }`: comlink would drop the code and status of a thrown LarchError. */
const wrapped = Object.fromEntries(
  Object.entries(api).map(([name, fn]) => [
    name,
    (...args: unknown[]): Reply<unknown> | Promise<Reply<unknown>> => {
      try {
        const r = (fn as (...a: unknown[]) => unknown)(...args);
        if (r instanceof Promise) return r.then((ok) => ({ ok }), (e) => ({ err: toLarchError(e).toJSON() }));
        return { ok: r };
      } catch (e) {
        return { err: toLarchError(e).toJSON() };
      }
    },
  ]),
);

Comlink.expose(wrapped, nodeEndpoint(parentPort!));
