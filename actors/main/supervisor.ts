/**
 * The supervisor lives in the main thread. It spawns the namespace hosts and the query-executor pool, routes each
 * (index, namespace) to its host, restarts what crashes and shuts everything down in order.
 *
 * A crashed namespace host is replaced and reopens its indexes from disk; calls in flight on it fail with
 * UNAVAILABLE. A crashed query executor is replaced by the pool; the scan task it was running is retried once on
 * another executor, and fails with UNAVAILABLE if that crashes too. A crashed reader thread is replaced; the queries
 * it had are run again on the main thread.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Piscina } from 'piscina';
import { InferencePool } from './inference-pool.js';
import { LarchError, unavailable } from '../../engine/core/errors.js';
import type { IndexConfig } from '../../engine/core/index-config.js';
import type { Settings } from '../../engine/core/settings.js';
import type { BuilderApi } from '../shared/build-job.js';
import type { ScanTask } from '../shared/query-plan.js';
import { runScanTask } from '../shared/scan-task.js';
import type { ReadRequest, ReadResult, ReadTaskResult } from '../shared/read-query.js';
import { readerThreads, type NamespaceReadView } from '../shared/read-view.js';
import { ReaderHandle, type HandoffResult } from './reader-handle.js';

/** A number naming each view this thread received, for executors to cache it by. */
const viewIds = new WeakMap<NamespaceReadView, number>();
let lastViewId = 0;
function viewId(view: NamespaceReadView): number {
  let id = viewIds.get(view);
  if (id === undefined) viewIds.set(view, (id = ++lastViewId));
  return id;
}
import { hostFor } from '../shared/routing.js';
import { HostHandle } from './host-handle.js';

export interface SupervisorStats {
  hosts: number;
  executors: number;
  builders: number;
  hostRestarts: number;
  executorRestarts: number;
  builderRestarts: number;
  scanRetries: number;
  /** Small scan tasks run on the main thread because the executors were idle. */
  inlineScans: number;
  /** Queries answered from a namespace's read view, without a message to its actor. */
  readerQueries: number;
  /** Of those, the ones run on an executor (large ones when no reader thread can take them). */
  readerOffloads: number;
  /** Of those, the ones handed to a reader thread (large ones, and ones with others in flight). */
  readerHandoffs: number;
  /** Reader threads (actors/reader) running, and how many were restarted after they died. */
  readers: number;
  readerRestarts: number;
  /** Times hand-offs to readers paused because the process did not get the cores for them (HANDOFF_MIN_CORES). */
  handoffPauses: number;
  /** Request work run on the executor pool (large upsert bodies, large answers with values). */
  offloaded: number;
  /** Inference jobs run again after their worker thread died. */
  inferenceRetries: number;
}

/**
 * Most work (vector components touched: exact rows × dimension, a graph search counted as ef × 32 neighbours ×
 * dimension) a scan task may have to run on the main thread instead of an executor.
 */
const INLINE_SCAN_WORK = 1 << 21;

/** Estimated vector components a scan task reads. */
/** A thread that has run read-view queries this long without a turn of the event loop lets timers and I/O in. */
const TURN_MS = 2;

/**
 * Most work a read-view query may have to run on the main thread: 8M components is ~1 ms of scan (32 MB at the
 * kernel's ~38 GB/s), what the event loop may be held for; at 2M (the planned path's limit) a 10k x 384 exact query
 * went to an executor and took 1.66x the kernel's scan time, the hop costing more than the scan.
 */
const READ_HERE_WORK = 1 << 23;

/**
 * Most unanswered queries on one reader thread. Two keep it busy while the main thread runs a query of its own (the
 * next one is there when it finishes one; the main thread hands more only between its own); more would only queue
 * behind it while the main thread sits idle.
 */
const HANDOFF_DEPTH = 2;

/**
 * For this long after a query was placed with others in flight, a query that finds itself alone counts as one of
 * many: callers whose queries were just answered are about to send their next ones, but this thread runs them one
 * at a time, so at the moment one is placed the others are often not issued yet. (A caller with one query at a time
 * never has another in flight, so it is never handed off.)
 */
const CONCURRENT_MS = 1;

/**
 * Hand-offs pay only when the reader gets a core of its own. On a machine whose cores are taken by other work, the
 * main thread and the reader took turns on one core and the hand-offs cost more than they gave (100k x 128, 8 in
 * flight: 0.65-0.72x the all-main-thread QPS, with 250 us/query runnable but waiting). So the process's CPU is
 * measured over windows of `HANDOFF_WINDOW` hand-offs made within `HANDOFF_WINDOW_MS` (sustained load: a slower
 * window says nothing and starts over): below `HANDOFF_MIN_CORES` cores, hand-offs pause for `HANDOFF_PAUSE_MS`,
 * then are tried again.
 */
const HANDOFF_WINDOW = 200;
const HANDOFF_WINDOW_MS = 250;
const HANDOFF_MIN_CORES = 1.3;
const HANDOFF_PAUSE_MS = 1000;

/** CPU time of the whole process so far (every thread), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function scanWork(task: ScanTask): number {
  let work = 0;
  for (const u of task.units) work += u.graph ? u.graph.ef * 32 * u.dim : u.blocks.length * u.rowsPerBlock * Math.max(1, u.dim);
  return work;
}

export class Supervisor {
  /** Scan tasks on the executor pool now. */
  private poolScans = 0;
  /** Queries running now, from plan to answer (query-coordinator.ts counts them). */
  activeQueries = 0;
  /** When a read-view query was last placed with another in flight. */
  private lastConcurrent = -Infinity;
  /** The current window of hand-offs (its start, the process CPU then), and until when hand-offs pause. */
  private handoffWindow: { start: number; cpu: number; n: number } | null = null;
  private handoffsPausedUntil = -Infinity;
  /** How many tasks carried each view to the executors. */
  private readonly viewsSent = new WeakMap<NamespaceReadView, number>();
  /** When the current turn of the event loop started (armed: a setImmediate will mark the next one). */
  private turn = { armed: false, start: 0 };
  private readonly hosts: HostHandle[] = [];
  private readonly builders: { worker: Worker; api: Comlink.Remote<BuilderApi> }[] = [];
  private readonly readers: ReaderHandle[] = [];
  private readonly pool: Piscina;
  private closing = false;
  private readonly counters = { hostRestarts: 0, executorRestarts: 0, builderRestarts: 0, scanRetries: 0, inlineScans: 0, readerQueries: 0, readerOffloads: 0, readerHandoffs: 0, readerRestarts: 0, handoffPauses: 0, offloaded: 0 };
  /** Fault injection for tests: the next N scan tasks crash their executor midway. */
  private crashNextScans = 0;
  /** Fault injection for tests: the next N queries handed to a reader thread make it exit midway. */
  private crashNextReads = 0;
  readonly executorCount: number;
  /** Embedding and reranking: a pool of its own, so inference never delays queries. */
  readonly inference: InferencePool;

  /** `indexes` lists the open indexes: a host that restarts reopens them. */
  private constructor(
    private readonly settings: Settings,
    private readonly indexes: () => IndexConfig[],
  ) {
    this.executorCount = settings.queryThreads;
    this.inference = new InferencePool(settings.inferenceThreads);
    this.pool = new Piscina({
      filename: new URL('../executor/query-executor.js', import.meta.url).href,
      minThreads: this.executorCount,
      maxThreads: this.executorCount,
      idleTimeout: Number.MAX_SAFE_INTEGER,
    });
    this.pool.on('workerDestroy', () => {
      if (!this.closing) this.counters.executorRestarts++;
    });
    // Worker errors outside a task would otherwise be an unhandled 'error' event and take the process down.
    this.pool.on('error', (err: Error) => {
      if (!this.closing) console.error('[larchdb] query executor error:', err.message);
    });
  }

  static async start(settings: Settings, indexes: () => IndexConfig[]): Promise<Supervisor> {
    const s = new Supervisor(settings, indexes);
    for (let i = 0; i < settings.builderThreads; i++) s.builders.push(s.spawnBuilder(i));
    for (let i = 0; i < settings.hostThreads; i++) s.hosts.push(await s.spawnHost(i));
    for (let i = 0; i < readerThreads(settings.queryThreads); i++) s.readers.push(s.spawnReader(i));
    return s;
  }

  /** A reader thread; when it dies its queries are run here again, and it is replaced. */
  private spawnReader(slot: number): ReaderHandle {
    const r = new ReaderHandle(slot);
    r.worker.on('error', (err) => {
      if (!this.closing) console.error(`[larchdb] reader thread ${slot} error:`, err);
    });
    r.worker.on('exit', () => {
      r.died();
      if (this.closing || this.readers[slot] !== r) return;
      this.counters.readerRestarts++;
      // Not at once: a thread that dies on start would otherwise be restarted in a tight loop.
      setTimeout(() => {
        if (!this.closing) this.readers[slot] = this.spawnReader(slot);
      }, 100).unref();
    });
    return r;
  }

  /** An index-builder worker; restarted (and reconnected to every host) when it dies. */
  private spawnBuilder(slot: number): { worker: Worker; api: Comlink.Remote<BuilderApi> } {
    const worker = new Worker(new URL('../builder/index-builder.js', import.meta.url), { name: `larch-builder-${slot}` });
    worker.unref();
    const b = { worker, api: Comlink.wrap<BuilderApi>(nodeEndpoint(worker)) };
    worker.on('error', (err) => {
      if (!this.closing) console.error(`[larchdb] index builder ${slot} error:`, err);
    });
    worker.on('exit', () => {
      if (this.closing || this.builders[slot] !== b) return;
      this.counters.builderRestarts++;
      setTimeout(() => {
        if (this.closing) return;
        this.builders[slot] = this.spawnBuilder(slot);
        for (const h of this.hosts) void this.connect(h, slot).catch(() => undefined);
      }, 100).unref();
    });
    return b;
  }

  /** Gives host `h` a job port to builder `slot`. */
  private async connect(h: HostHandle, slot: number): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    await this.builders[slot]!.api.connect(Comlink.transfer(port2, [port2]));
    await h.connectBuilder(slot, port1);
  }

  private async spawnHost(slot: number): Promise<HostHandle> {
    const h = new HostHandle(slot, this.settings.hostThreads, this.settings);
    h.worker.on('error', (err) => {
      if (!this.closing) console.error(`[larchdb] namespace host ${slot} error:`, err);
    });
    h.worker.on('exit', (code) => {
      h.failPending(unavailable(`The namespace actor thread serving this request stopped (exit code ${code}); it has been restarted. Retry the request.`));
      // Only the installed host is replaced; a half-started replacement that dies is retried by restartHost.
      if (!this.closing && this.hosts[slot] === h) void this.restartHost(slot);
    });
    await h.start();
    for (let slot = 0; slot < this.builders.length; slot++) await this.connect(h, slot);
    return h;
  }

  private async restartHost(slot: number): Promise<void> {
    this.counters.hostRestarts++;
    for (let attempt = 0; ; attempt++) {
      let h: HostHandle | undefined;
      try {
        h = await this.spawnHost(slot);
        for (const cfg of this.indexes()) await h.call.openIndex(cfg);
        // Installed only once its indexes are open; until then calls reach the dead handle and fail UNAVAILABLE.
        this.hosts[slot] = h;
        return;
      } catch (err) {
        await h?.terminate();
        if (this.closing) return;
        console.error(`[larchdb] restarting namespace host ${slot} failed:`, err);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  /** The host that owns (index, namespace). */
  host(index: string, namespace: string): HostHandle {
    return this.hosts[hostFor(index, namespace, this.hosts.length)]!;
  }

  allHosts(): readonly HostHandle[] {
    return this.hosts;
  }

  /**
   * Runs one scan task: on this thread when it is small and its query is the only one running (a hop to an idle
   * executor costs more than such a task; with other queries in flight the executors give parallelism), else on the
   * executor pool, where a task whose executor crashed is retried once.
   */
  async scan(task: ScanTask): Promise<number[]> {
    if (this.activeQueries <= 1 && this.poolScans === 0 && this.crashNextScans === 0 && scanWork(task) <= INLINE_SCAN_WORK) {
      this.counters.inlineScans++;
      return runScanTask(task);
    }
    this.poolScans++;
    try {
      return await this.scanOnPool(task);
    } finally {
      this.poolScans--;
    }
  }

  /**
   * Where a read-view query of `work` vector components runs: on an executor when it is large (the event loop stays
   * free), else here — also with other queries in flight: handing a query to an executor and back cost more CPU than
   * the search (in-process, 50k x 128, 8 in flight: 7,000-7,300 QPS all here vs 5,300-6,400 with one or two on the
   * executors). `yield`: this thread has run without a turn of the event loop for a while; let timers and I/O in
   * before running it here.
   */
  placeRead(work: number): 'here' | 'pool' | 'yield' {
    const now = performance.now();
    if (!this.turn.armed) {
      this.turn = { armed: true, start: now };
      setImmediate(() => (this.turn.armed = false));
    }
    if (work > READ_HERE_WORK) return 'pool';
    return now - this.turn.start > TURN_MS ? 'yield' : 'here';
  }

  /**
   * The reader thread to hand a read-view query of `work` to, if one should take it: when other queries are in
   * flight (this thread runs one while the reader runs another: both cores search) or the query is large (it keeps
   * the event loop free, at a smaller price than an executor); not alone and small, where the hand-off would only
   * add its cost. The least busy reader with room.
   */
  readerFor(view: NamespaceReadView, req: ReadRequest, work: number): ReaderHandle | undefined {
    const now = performance.now();
    const large = work > READ_HERE_WORK;
    if (this.activeQueries > 1) this.lastConcurrent = now;
    else if (now - this.lastConcurrent > CONCURRENT_MS && !large) return undefined;
    if (!large && !this.handoffsPay(now)) return undefined;
    let best: ReaderHandle | undefined;
    for (const r of this.readers) if (r.canTake(view, req, HANDOFF_DEPTH) && (!best || r.queued() < best.queued())) best = r;
    return best;
  }

  /** Whether hand-offs get a core of their own now (see HANDOFF_MIN_CORES); measured over windows with hand-offs. */
  private handoffsPay(now: number): boolean {
    if (now < this.handoffsPausedUntil) return false;
    const w = this.handoffWindow;
    if (!w || now - w.start > HANDOFF_WINDOW_MS) {
      this.handoffWindow = { start: now, cpu: cpuMs(), n: 0 };
    } else if (++w.n >= HANDOFF_WINDOW) {
      const cores = (cpuMs() - w.cpu) / (now - w.start);
      this.handoffWindow = null;
      if (cores < HANDOFF_MIN_CORES) {
        this.handoffsPausedUntil = now + HANDOFF_PAUSE_MS;
        this.counters.handoffPauses++;
        return false;
      }
    }
    return true;
  }

  /** Runs a read-view query on reader thread `r` (null: it could not answer, e.g. it died meanwhile; run it here). */
  readOnReader(r: ReaderHandle, view: NamespaceReadView, req: ReadRequest): Promise<HandoffResult> {
    this.counters.readerHandoffs++;
    const crash = this.crashNextReads > 0;
    if (crash) this.crashNextReads--;
    return r.submit(view, viewId(view), req, crash);
  }

  /** Settles the reader threads' answered queries (after each query this thread ran: it was busy meanwhile). */
  pollReaders(): void {
    for (const r of this.readers) r.poll();
  }

  /**
   * Runs a read-view query on an executor; null when the executor died (the caller plans it through the actor).
   * The view travels with the first tasks of each view (see ReadTask), and again when an executor lacks it.
   */
  async readOnPool(view: NamespaceReadView, req: ReadRequest): Promise<ReadResult | null> {
    this.counters.readerOffloads++;
    try {
      const id = viewId(view);
      const sent = this.viewsSent.get(view) ?? 0;
      const withView = sent < 2 * this.executorCount;
      if (withView) this.viewsSent.set(view, sent + 1);
      let r = (await this.pool.run(withView ? { viewId: id, view, req } : { viewId: id, req })) as ReadTaskResult;
      if (r && 'unknownView' in r) r = (await this.pool.run({ viewId: id, view, req })) as ReadTaskResult;
      return r && 'unknownView' in r ? null : r;
    } catch (err) {
      if (err instanceof LarchError || this.closing) throw err;
      return null;
    }
  }

  private async scanOnPool(task: ScanTask): Promise<number[]> {
    for (let attempt = 0; ; attempt++) {
      const crash = this.crashNextScans > 0;
      if (crash) this.crashNextScans--;
      try {
        return (await this.pool.run(crash ? { ...task, crash: true } : task)) as number[];
      } catch (err) {
        if (err instanceof LarchError || this.closing) throw err;
        if (attempt >= 1) {
          throw unavailable(`Query failed: its executor thread crashed twice (${(err as Error).message}). The executors have been restarted; retry the query.`);
        }
        this.counters.scanRetries++;
      }
    }
  }

  /**
   * Runs CPU-heavy request work (parsing a large upsert body, encoding a large answer) on the executor pool, off
   * the event loop. `filename` is the module whose default export handles `task`.
   */
  async offload<T>(filename: string, task: unknown): Promise<T> {
    this.counters.offloaded++;
    try {
      return (await this.pool.run(task, { filename })) as T;
    } catch (err) {
      if (err instanceof LarchError) throw err;
      throw unavailable(`An executor thread failed while handling the request (${(err as Error).message}); retry it.`);
    }
  }

  /** Counts a query answered from a read view (query-coordinator.ts). */
  countReaderQuery(): void {
    this.counters.readerQueries++;
  }

  /** Whether queries may run from read views (not while executor crashes are being injected: those test the pool). */
  get readersEnabled(): boolean {
    return this.crashNextScans === 0;
  }

  /** Test hook: the next `n` scan tasks kill their executor thread midway through the scan. */
  injectExecutorCrashes(n: number): void {
    this.crashNextScans = n;
  }

  /** Test hook: the next `n` queries handed to a reader thread make it exit midway through the search. */
  injectReaderCrashes(n: number): void {
    this.crashNextReads = n;
  }

  /** Test hook: kills index builder `slot`. */
  async crashBuilder(slot = 0): Promise<void> {
    await this.builders[slot]!.api.crash();
  }

  stats(): SupervisorStats {
    return {
      hosts: this.hosts.length,
      executors: this.executorCount,
      builders: this.builders.length,
      readers: this.readers.length,
      ...this.counters,
      inferenceRetries: this.inference.retries,
    };
  }

  /** Lets every host drain its writes and close its files, then stops hosts, builders and executors. */
  async shutdown(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.call.close().catch(() => undefined)));
    this.closing = true;
    await Promise.all(this.hosts.map((h) => h.terminate()));
    await Promise.all(this.builders.map((b) => b.worker.terminate()));
    await Promise.all(this.readers.map((r) => r.terminate()));
    await this.pool.destroy();
    await this.inference.close();
  }
}
