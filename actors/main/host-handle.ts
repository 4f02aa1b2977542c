/**
 * The main thread's handle on one namespace-host worker: calls and replies over host-rpc.ts, a ring for vector
 * payloads. A call that carries a frame writes the frame and queues its call under one lock, so the host reads
 * frames in the order the calls arrive.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import { LarchError, unavailable } from '../../engine/core/errors.js';
import type { Settings } from '../../engine/core/settings.js';
import { crc32c } from '../../engine/storage/crc32c.js';
import type { EncodedBatch } from '../../engine/storage/record-frame.js';
import type { HostApi, Reply } from '../shared/host-api.js';
import type { NamespaceReadView, ReadViewMessage } from '../shared/read-view.js';
import type { RpcMessage } from '../shared/host-rpc.js';
import { RingProducer } from '../shared/ring.js';

const viewKey = (index: string, ns: string) => `${index}\u0000${ns}`;

type Unwrapped<F> = F extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;
/** The host API as the main thread calls it: every method async, errors rethrown as LarchError. */
export type HostCalls = { [K in keyof HostApi]: Unwrapped<HostApi[K]> };

/**
 * Calls whose frame the host writes to its request log as it is. Their checksum is computed on this thread, while
 * the frame is in its cache: the host thread, which every write of a namespace goes through, then only combines it
 * with the record's head (crc32cCombine) instead of reading the frame again.
 */
const LOGGED = new Set<string>(['upsert', 'update']);

interface Waiting {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class HostHandle {
  readonly worker: Worker;
  private readonly ring: RingProducer;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  /** Set when the worker has exited; calls then fail at once. */
  dead: Error | null = null;
  /** The read views of this host's namespaces, by index and namespace (read-view.ts). */
  private readonly views = new Map<string, NamespaceReadView>();

  /** Starts host thread `slot` of `hosts` (call {@link start} before anything else). */
  constructor(
    readonly slot: number,
    private readonly hosts: number,
    private readonly settings: Settings,
  ) {
    this.worker = new Worker(new URL('../host/namespace-host.js', import.meta.url), { name: `larch-ns-host-${slot}` });
    this.worker.unref();
    // Views come on the port replies come on, posted as the list changes, ahead of the replies of any later call.
    this.worker.on('message', (m: RpcMessage | ReadViewMessage) => {
      if ('replies' in m) for (const [id, reply] of m.replies) this.settle(id, reply);
      else if ('readView' in m) {
        const v = m.readView;
        if (v.view) this.views.set(viewKey(v.index, v.ns), v.view);
        else this.views.delete(viewKey(v.index, v.ns));
      }
    });
    this.ring = RingProducer.create(settings.ringBytes);
  }

  async start(): Promise<void> {
    await this.call.init({ ring: this.ring.sab, slot: this.slot, hosts: this.hosts, settings: this.settings });
  }

  /** The read view of (index, namespace), when the host published one. */
  readView(index: string, ns: string): NamespaceReadView | undefined {
    return this.dead ? undefined : this.views.get(viewKey(index, ns));
  }

  /** Hands the host the job port of index builder `slot` (a port must be transferred, not copied). */
  connectBuilder(slot: number, port: MessagePort): Promise<void> {
    return this.ordered(async () => ({ reply: this.invoke('connectBuilder', [slot, port], [port]) as Promise<void> }));
  }

  /** Fails every call still waiting on this worker (it died). */
  failPending(err: Error): void {
    this.dead = err;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(err);
  }

  private settle(id: number, reply: Reply<unknown>): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
    if ('err' in reply) w.reject(new LarchError(reply.err.code, reply.err.message));
    else w.resolve(reply.ok);
  }

  private invoke(method: string, args: unknown[], transfer?: MessagePort[]): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      // The worker keeps the process alive only while a call waits on it, so an idle database never pins it.
      if (this.waiting.size === 0) this.worker.ref();
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      // Posted at once, not batched: the host starts on this write while this thread validates the next one.
      this.worker.postMessage({ calls: [[id, method, args]] } satisfies RpcMessage, transfer);
    });
  }

  /** Queues calls in the order they were made, frame or not, so one caller's writes apply in its order. */
  private ordered<T>(post: () => Promise<{ reply: Promise<T> }>): Promise<T> {
    const posted = this.lock.then(post);
    this.lock = posted.catch(() => undefined);
    return posted.then((box) => box.reply);
  }

  /** A typed proxy: `host.call.upsert(...)`. */
  readonly call: HostCalls = new Proxy({} as HostCalls, {
    get: (_t, method: string) => (...args: unknown[]) => this.ordered(async () => ({ reply: this.invoke(method, args) })),
  });

  /**
   * Calls `method` with a vector frame: the frame goes into the ring (or, when larger than a ring frame, into a
   * SharedArrayBuffer of its own passed as the last argument) and the call follows it. A write's frame is logged as
   * it is, so its CRC-32C is computed here and passed before `big` (see HostApi.upsert).
   */
  withFrame<K extends keyof HostApi>(method: K, args: unknown[], frame: EncodedBatch, bigAllowed = true): ReturnType<HostCalls[K]> {
    type T = Awaited<ReturnType<HostCalls[K]>>;
    // The lock covers writing the frame and queueing the call, not waiting for the reply: the result promise is
    // boxed so the async function does not flatten it.
    const run = async (): Promise<{ reply: Promise<T> }> => {
      if (this.dead) throw this.dead;
      const logged = LOGGED.has(method);
      if (frame.size > this.ring.maxFrame) {
        if (!bigAllowed) throw new RangeError(`frame of ${frame.size} bytes is larger than the ring allows`);
        const sab = new SharedArrayBuffer(frame.size);
        const dst = new Uint8Array(sab);
        frame.writeTo(dst);
        return { reply: this.invoke(method, logged ? [...args, crc32c(dst), sab] : [...args, sab]) as Promise<T> };
      }
      let crc = 0;
      await this.ring.write(frame.size, (dst) => {
        frame.writeTo(dst);
        if (logged) crc = crc32c(dst);
      });
      return { reply: this.invoke(method, logged ? [...args, crc] : args) as Promise<T> };
    };
    return this.ordered(run) as ReturnType<HostCalls[K]>;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
