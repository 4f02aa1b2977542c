/**
 * The main thread's handle on one namespace-host worker: comlink for control calls, a ring for vector payloads.
 * A call that carries a frame writes the frame and posts its control message under one lock, so the host reads
 * frames in the order the messages arrive.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { LarchError, unavailable } from '../../engine/core/errors.js';
import type { Settings } from '../../engine/core/settings.js';
import type { EncodedBatch } from '../../engine/storage/record-frame.js';
import type { HostApi, Reply } from '../shared/host-api.js';
import type { NamespaceReadView, ReadViewMessage } from '../shared/read-view.js';
import { RingProducer } from '../shared/ring.js';

const viewKey = (index: string, ns: string) => `${index}\u0000${ns}`;

type Unwrapped<F> = F extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;
/** The host API as the main thread calls it: every method async, errors rethrown as LarchError. */
export type HostCalls = { [K in keyof HostApi]: Unwrapped<HostApi[K]> };

export class HostHandle {
  readonly worker: Worker;
  private readonly remote: Comlink.Remote<Record<string, (...a: unknown[]) => Reply<unknown>>>;
  private readonly ring: RingProducer;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<(e: Error) => void>();
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
    this.remote = Comlink.wrap(nodeEndpoint(this.worker)) as never;
    // Views arrive on the port comlink answers on, so each is in place before the answer to any later call.
    this.worker.on('message', (m: Partial<ReadViewMessage>) => {
      const v = m?.readView;
      if (!v) return;
      if (v.view) this.views.set(viewKey(v.index, v.ns), v.view);
      else this.views.delete(viewKey(v.index, v.ns));
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
    return this.ordered(async () => ({ reply: this.invoke('connectBuilder', [slot, Comlink.transfer(port, [port])]) as Promise<void> }));
  }

  /** Fails every call still waiting on this worker (it died). */
  failPending(err: Error): void {
    this.dead = err;
    for (const reject of this.pending) reject(err);
    this.pending.clear();
  }

  private settle(reject: (e: Error) => void): void {
    this.pending.delete(reject);
    if (this.pending.size === 0) this.worker.unref();
  }

  private invoke(method: string, args: unknown[]): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      // The worker keeps the process alive only while a call waits on it, so an idle database never pins it.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.add(reject);
      (this.remote[method] as (...a: unknown[]) => Promise<Reply<unknown>>)(...args).then(
        (reply) => {
          this.settle(reject);
          if ('err' in reply) reject(new LarchError(reply.err.code, reply.err.message));
          else resolve(reply.ok);
        },
        (e: unknown) => {
          this.settle(reject);
          reject(e instanceof Error ? e : unavailable(String(e)));
        },
      );
    });
  }

  /** Posts calls in the order they were made, frame or not, so one caller's writes apply in its order. */
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
   * SharedArrayBuffer of its own passed as the last argument) and the control message follows it.
   */
  withFrame<K extends keyof HostApi>(method: K, args: unknown[], frame: EncodedBatch, bigAllowed = true): ReturnType<HostCalls[K]> {
    type T = Awaited<ReturnType<HostCalls[K]>>;
    // The lock covers writing the frame and posting the message, not waiting for the reply: the result promise
    // is boxed so the async function does not flatten it.
    const run = async (): Promise<{ reply: Promise<T> }> => {
      if (this.dead) throw this.dead;
      if (frame.size > this.ring.maxFrame) {
        if (!bigAllowed) throw new RangeError(`frame of ${frame.size} bytes is larger than the ring allows`);
        const sab = new SharedArrayBuffer(frame.size);
        frame.writeTo(new Uint8Array(sab));
        return { reply: this.invoke(method, [...args, sab]) as Promise<T> };
      }
      await this.ring.write(frame.size, (dst) => frame.writeTo(dst));
      return { reply: this.invoke(method, args) as Promise<T> };
    };
    return this.ordered(run) as ReturnType<HostCalls[K]>;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
