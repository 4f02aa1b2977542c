/**
 * Worker entry of a namespace host: one thread that runs many namespace actors (those whose (index, namespace)
 * hash to it). The main thread drives it through comlink; vector payloads arrive in the host's ring and are
 * copied out synchronously when their control message arrives, so ring frames are freed in order even while an
 * actor's mailbox is busy.
 */
import { parentPort } from 'node:worker_threads';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { IndexConfig } from '../engine/index-config.js';
import { toLarchError } from '../engine/errors.js';
import { writeFileAtomic } from '../engine/atomic-file.js';
import { NamespaceActor, type PlanRequest } from './namespace-actor.js';
import { RingConsumer } from './ring.js';
import { decodeRecords, encodeRecordsToBytes, type DecodedRecord } from './record-codec.js';
import { encodeSnapshot, readSnapshot } from './snapshot-file.js';
import { SNAPSHOT_FILE, hostFor, indexDir, namespaceDir } from './route.js';
import type { Reply } from './host-protocol.js';

interface HostInit {
  ring: SharedArrayBuffer;
  dataDir: string | null;
  hostIndex: number;
  hostCount: number;
  mailboxLimit: number;
}

let init!: HostInit;
let ring!: RingConsumer;
const indexes = new Map<string, IndexConfig>();
const actors = new Map<string, NamespaceActor>();

const key = (index: string, ns: string) => `${index}\u0000${ns}`;

function config(index: string): IndexConfig {
  const cfg = indexes.get(index);
  if (!cfg) throw new Error(`index '${index}' is not open on this host`);
  return cfg;
}

function actor(index: string, ns: string, create: boolean): NamespaceActor | undefined {
  const k = key(index, ns);
  let a = actors.get(k);
  if (!a && create) {
    a = new NamespaceActor(config(index), ns, init.mailboxLimit);
    actors.set(k, a);
  }
  return a;
}

/** Reads the frame that belongs to this call: from the ring, or from its own buffer when it was too big. */
function takeFrame(big: SharedArrayBuffer | undefined): DecodedRecord[] {
  return decodeRecords(big ? new Uint8Array(big).slice() : ring.read());
}

async function saveSnapshot(a: NamespaceActor): Promise<void> {
  if (!init.dataDir || !a.dirty) return;
  const dir = namespaceDir(init.dataDir, a.cfg.name, a.name);
  await mkdir(dir, { recursive: true });
  const body = encodeRecordsToBytes(a.records());
  a.dirty = false;
  await writeFileAtomic(join(dir, SNAPSHOT_FILE), encodeSnapshot(a.name, a.cfg.dimension ?? 0, body));
}

async function loadIndex(cfg: IndexConfig): Promise<number> {
  if (!init.dataDir) return 0;
  let entries: string[];
  try {
    entries = await readdir(indexDir(init.dataDir, cfg.name));
  } catch {
    return 0;
  }
  let loaded = 0;
  for (const e of entries) {
    if (!e.startsWith('ns-')) continue;
    const file = join(indexDir(init.dataDir, cfg.name), e, SNAPSHOT_FILE);
    let snap;
    try {
      snap = await readSnapshot(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (hostFor(cfg.name, snap.namespace, init.hostCount) !== init.hostIndex) continue;
    const a = actor(cfg.name, snap.namespace, true)!;
    a.upsert(snap.records);
    a.dirty = false;
    loaded++;
  }
  return loaded;
}

const api = {
  init(opts: HostInit): void {
    init = opts;
    ring = new RingConsumer(opts.ring);
  },
  async openIndex(cfg: IndexConfig): Promise<number> {
    indexes.set(cfg.name, cfg);
    return loadIndex(cfg);
  },
  configureIndex(cfg: IndexConfig): void {
    indexes.set(cfg.name, cfg);
  },
  dropIndex(index: string): void {
    indexes.delete(index);
    for (const [k, a] of actors) if (a.cfg.name === index) actors.delete(k);
  },
  upsert(index: string, ns: string, big?: SharedArrayBuffer): Promise<number> {
    const records = takeFrame(big);
    const a = actor(index, ns, true)!;
    return a.mailbox.run(() => a.upsert(records));
  },
  update(index: string, ns: string, big?: SharedArrayBuffer): Promise<void> {
    const [rec] = takeFrame(big);
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.update(rec!)) : Promise.resolve();
  },
  deleteIds(index: string, ns: string, ids: string[]): Promise<void> {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.deleteIds(ids)) : Promise.resolve();
  },
  deleteByFilter(index: string, ns: string, filter: unknown): Promise<number> {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.deleteByFilter(filter)) : Promise.resolve(0);
  },
  deleteAll(index: string, ns: string): Promise<void> {
    const a = actor(index, ns, false);
    return a ? a.mailbox.run(() => a.deleteAll()) : Promise.resolve();
  },
  async deleteNamespace(index: string, ns: string): Promise<boolean> {
    const a = actor(index, ns, false);
    if (!a) return false;
    await a.mailbox.run(async () => {
      actors.delete(key(index, ns));
      if (init.dataDir) await rm(namespaceDir(init.dataDir, index, ns), { recursive: true, force: true });
    });
    return true;
  },
  plan(index: string, ns: string, req: PlanRequest, hasQuery: boolean) {
    const query = hasQuery ? takeFrame(undefined)[0] : undefined;
    const a = actor(index, ns, false);
    if (!a) return { empty: true as const, readUnits: 1 };
    return a.mailbox.run(() => a.plan(req, query));
  },
  hydrate(index: string, ns: string, planId: number, rows: number[], includeMetadata: boolean) {
    const a = actor(index, ns, false);
    if (!a) throw new Error(`namespace '${ns}' vanished during a query`);
    return a.mailbox.run(() => a.hydrate(planId, rows, includeMetadata));
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
  /** Writes a snapshot of every namespace changed since its last one. */
  async snapshot(): Promise<void> {
    await Promise.all([...actors.values()].map((a) => a.mailbox.run(() => saveSnapshot(a))));
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
