/**
 * Worker entry of a namespace host: one thread that runs many namespace actors (those whose (index, namespace)
 * hash to it). The main thread drives it through host-rpc.ts (HostApi, shared/host-api.ts); vector payloads arrive in
 * the host's ring and are copied out synchronously when their control message arrives, so ring frames are freed in
 * order even while an actor's mailbox is busy.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { NamespaceReadView, ReadViewMessage } from '../shared/read-view.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { IndexConfig } from '../../engine/core/index-config.js';
import { toLarchError } from '../../engine/core/errors.js';
import { hnswSettings } from '../../engine/core/index-config.js';
import { fsyncDir } from '../../engine/storage/atomic-file.js';
import { indexDir, isNamespaceDir, logDir, namespaceDir, trashDir } from '../../engine/storage/layout.js';
import type { MetadataSchema } from '../../engine/core/types.js';
import { LogOp, deleteIdsBody, filterBody, updateByFilterBody } from '../../engine/storage/log-ops.js';
import { readManifest, writeManifest } from '../../engine/storage/manifest.js';
import { decodeRecords } from '../../engine/storage/record-frame.js';
import { RequestLog, logRecordOf, newLogRecord, type LogRecord } from '../../engine/storage/request-log.js';
import type { Applied, HostApi, HostInit, NamespaceInfo, Reply } from '../shared/host-api.js';
import { Outbox, type RpcCall, type RpcMessage, type RpcReply } from '../shared/host-rpc.js';
import { RingConsumer } from '../shared/ring.js';
import { hostFor } from '../shared/routing.js';
import { BuilderLink } from './builder-link.js';
import { NamespaceActor } from './namespace-actor.js';
import { namespaceStorage } from './namespace-storage.js';
import { Prefaulter } from './prefault.js';
import { loadSlabSegments } from './slab-loader.js';

let init!: HostInit;
let ring!: RingConsumer;
const builder = new BuilderLink();
const prefault = new Prefaulter();
const indexes = new Map<string, IndexConfig>();
const actors = new Map<string, NamespaceActor>();

const key = (index: string, ns: string) => `${index}\u0000${ns}`;

/**
 * Posts a namespace's read views to the main thread on the port comlink answers on, so a view is there before the
 * answer of any call that follows the change.
 */
const publisher = (index: string, ns: string) => (view: NamespaceReadView | null) => {
  const msg: ReadViewMessage = { readView: { index, ns, view } };
  parentPort!.postMessage(msg);
};

function config(index: string): IndexConfig {
  const cfg = indexes.get(index);
  if (!cfg) throw new Error(`index '${index}' is not open on this host`);
  return cfg;
}

/**
 * The actor of (index, ns); a new namespace gets one whose first durable write creates its directory (`schema`: its
 * own metadata schema, when it is created explicitly).
 */
function actor(index: string, ns: string, create: boolean, schema?: MetadataSchema): NamespaceActor | undefined {
  const k = key(index, ns);
  let a = actors.get(k);
  if (!a && create) {
    const cfg = config(index);
    const { settings } = init;
    if (settings.dataDir) {
      const dataDir = settings.dataDir;
      const dir = namespaceDir(dataDir, index, ns);
      const log = RequestLog.fresh(logDir(dir), settings.durability, async () => {
        await makeDurableDir(dataDir, dir);
        await writeManifest(dir, created.manifest());
      });
      const created: NamespaceActor = new NamespaceActor(cfg, ns, { settings, builder, storage: namespaceStorage(dir, log), schema, publish: publisher(index, ns), prefault });
      a = created;
    } else {
      a = new NamespaceActor(cfg, ns, { settings, builder, storage: null, schema, publish: publisher(index, ns), prefault });
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
  if (!m || hostFor(cfg.name, m.namespace, init.hosts) !== init.slot) return;
  const { settings } = init;
  const storage = namespaceStorage(dir, null as unknown as RequestLog);
  const segments = await loadSlabSegments(storage.slabs, storage.slabDir, m, cfg.dimension ?? 0, hnswSettings(cfg).efSearch);
  const loaded = { segments, lsn: m.lsn, nextSeq: m.nextSeq };
  const a = new NamespaceActor(cfg, m.namespace, { settings, builder, storage, loaded, schema: m.schema, publish: publisher(cfg.name, m.namespace), prefault });
  const { log, report } = await RequestLog.open(logDir(dir), { durability: settings.durability, afterLsn: m.lsn }, (e) => a.replay(e));
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
  const dataDir = init.settings.dataDir;
  if (!dataDir) return 0;
  let entries: string[];
  try {
    entries = await readdir(indexDir(dataDir, cfg.name));
  } catch {
    return 0;
  }
  const before = actors.size;
  for (const e of entries) if (isNamespaceDir(e)) await openNamespace(cfg, join(indexDir(dataDir, cfg.name), e));
  return actors.size - before;
}

/**
 * Runs a write through the actor's mailbox (for order) and waits for it to be durable and applied. A write that
 * queued behind its namespace's deletion goes to the namespace's next incarnation.
 */
function submit<T>(index: string, ns: string, op: LogOp, rec: LogRecord, create: boolean): Promise<Applied<T | undefined>> {
  const a = actor(index, ns, create);
  if (!a) return Promise.resolve({ lsn: 0, value: undefined });
  const k = key(index, ns);
  const enter = (): Promise<Applied<T | undefined>> =>
    a.mailbox
      .run(() => (actors.get(k) === a ? a.write<T>(op, rec) : null))
      .then((box) => (box ? box.done : submit<T>(index, ns, op, rec, create)));
  // A full memtable waiting for the builder holds writes back (in order) before they reach the mailbox, so reads
  // queued there are not held with them.
  const room = a.room();
  return room ? room.then(enter) : enter();
}

/** Reads the frame that belongs to this call: from the ring, or from its own buffer when it was too big. */
function takeFrame(big: SharedArrayBuffer | undefined): Uint8Array {
  return big ? new Uint8Array(big).slice() : ring.read();
}

/**
 * Reads a write's frame (as {@link takeFrame}) straight into a request-log record, the one copy it gets on this
 * thread: the log frames it in place, the actor decodes and applies it from there.
 */
function takeRecord(big: SharedArrayBuffer | undefined, crc: number): LogRecord {
  let rec: LogRecord | undefined;
  if (big) {
    rec = newLogRecord(big.byteLength);
    rec.body.set(new Uint8Array(big));
  } else ring.read((n) => (rec = newLogRecord(n)).body);
  rec!.bodyCrc = crc;
  return rec!;
}

async function closeActors(match: (a: NamespaceActor) => boolean): Promise<void> {
  const doomed = [...actors].filter(([, a]) => match(a));
  for (const [k] of doomed) actors.delete(k);
  await Promise.all(doomed.map(([, a]) => a.close()));
}

const api: HostApi = {
  init(opts) {
    init = opts;
    ring = new RingConsumer(opts.ring);
  },
  connectBuilder(slot, port: MessagePort) {
    builder.attach(slot, port);
  },
  async openIndex(cfg) {
    indexes.set(cfg.name, cfg);
    return loadIndex(cfg);
  },
  configureIndex(cfg) {
    indexes.set(cfg.name, cfg);
    for (const a of actors.values()) if (a.cfg.name === cfg.name) a.cfg = cfg;
  },
  async dropIndex(index) {
    indexes.delete(index);
    await closeActors((a) => a.cfg.name === index);
  },
  upsert(index, ns, crc, big) {
    // An upsert creates its namespace, so it always applies (a value).
    return submit<number>(index, ns, LogOp.Upsert, takeRecord(big, crc), true) as Promise<Applied<number>>;
  },
  update(index, ns, crc, big) {
    return submit<undefined>(index, ns, LogOp.Update, takeRecord(big, crc), false);
  },
  deleteIds(index, ns, ids) {
    return submit<undefined>(index, ns, LogOp.DeleteIds, logRecordOf(deleteIdsBody(ids)), false);
  },
  deleteByFilter(index, ns, filter) {
    return submit<number>(index, ns, LogOp.DeleteByFilter, logRecordOf(filterBody(filter)), false);
  },
  deleteAll(index, ns) {
    return submit<undefined>(index, ns, LogOp.DeleteAll, newLogRecord(0), false);
  },
  updateByFilter(index, ns, filter, metadata) {
    return submit<number>(index, ns, LogOp.UpdateByFilter, logRecordOf(updateByFilterBody(filter, metadata)), false);
  },
  async createNamespace(index, ns, schema) {
    if (actor(index, ns, false)) return false;
    const a = actor(index, ns, true, schema)!;
    const dataDir = init.settings.dataDir;
    if (dataDir) {
      const dir = namespaceDir(dataDir, index, ns);
      await a.mailbox.run(async () => {
        await makeDurableDir(dataDir, dir);
        await writeManifest(dir, a.manifest());
      });
    }
    return true;
  },
  /** Deletes a namespace: its writes drain, its directory is renamed away (atomically), then removed. */
  async deleteNamespace(index, ns) {
    const a = actor(index, ns, false);
    if (!a) return false;
    await a.mailbox.run(async () => {
      await a.close();
      const dataDir = init.settings.dataDir;
      if (dataDir) {
        const trash = trashDir(dataDir, index, randomUUID());
        try {
          await rename(namespaceDir(dataDir, index, ns), trash);
          await fsyncDir(indexDir(dataDir, index));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        actors.delete(key(index, ns));
        await rm(trash, { recursive: true, force: true });
      } else actors.delete(key(index, ns));
    });
    return true;
  },
  plan(index, ns, req, hasQuery) {
    const query = hasQuery ? decodeRecords(takeFrame(undefined))[0] : undefined;
    const a = actor(index, ns, false);
    if (!a) return { empty: true as const, readUnits: 1, lsn: 0 };
    return a.mailbox.run(() => a.plan(req, query));
  },
  hydrate(index, ns, planId, hits, includeMetadata) {
    const a = actor(index, ns, false);
    if (!a) throw new Error(`namespace '${ns}' vanished during a query`);
    return a.mailbox.run(() => a.hydrate(planId, hits, includeMetadata));
  },
  release(index, ns, planId) {
    actor(index, ns, false)?.release(planId);
  },
  fetch(index, ns, ids) {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.fetch(ids)) : null;
  },
  fetchMatching(index, ns, filter, limit, after) {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.fetchMatching(filter, limit, after)) : null;
  },
  countMatching(index, ns, filter) {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.countMatching(filter)) : 0;
  },
  async namespaces(index, ns) {
    const out: Record<string, NamespaceInfo> = {};
    for (const a of actors.values()) {
      if (a.cfg.name !== index || (ns !== undefined && a.name !== ns)) continue;
      out[a.name] = await a.mailbox.run(() => a.info(ns !== undefined));
    }
    return out;
  },
  list(index, ns, prefix, limit, after) {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.list(prefix, limit, after)) : { ids: [], more: false };
  },
  async stats(index, filter) {
    const out: Record<string, number> = {};
    for (const a of actors.values()) {
      if (a.cfg.name !== index) continue;
      out[a.name] = await a.mailbox.run(() => a.countMatching(filter));
    }
    return out;
  },
  storageInfo(index, ns) {
    return actor(index, ns, false)?.describe() ?? null;
  },
  async flush(index, ns) {
    for (const a of actors.values()) if (a.cfg.name === index && (ns === undefined || a.name === ns)) await a.flushNow();
  },
  async close() {
    await closeActors(() => true);
    await prefault.close();
  },
  crash() {
    setImmediate(() => process.exit(70));
  },
};

const replies = new Outbox<RpcReply>((r) => parentPort!.postMessage({ replies: r } satisfies RpcMessage));

/** Runs one call; its answer, `{ ok }` or `{ err }` (see Reply), joins the replies sent at the end of the tick. */
function serve([id, method, args]: RpcCall): void {
  const fn = (api as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  const answer = (r: Reply<unknown>) => replies.push([id, r]);
  try {
    if (!fn) throw new Error(`unknown host method '${method}'`);
    const r = fn(...args);
    if (r instanceof Promise) r.then((ok) => answer({ ok }), (e) => answer({ err: toLarchError(e).toJSON() }));
    else answer({ ok: r });
  } catch (e) {
    answer({ err: toLarchError(e).toJSON() });
  }
}

// Calls start in arrival order (frames are read from the ring as each starts).
parentPort!.on('message', (m: RpcMessage) => {
  if ('calls' in m) for (const c of m.calls) serve(c);
});
