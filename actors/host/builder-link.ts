/**
 * A namespace host's side of its link to the index builders: build jobs go out over MessagePorts the supervisor
 * hands in, replies come back by id. When a builder dies its port closes and its jobs fail; the namespace actor
 * retries them later (the supervisor restarts the builder and hands in a new port).
 */
import type { MessagePort } from 'node:worker_threads';
import { LarchError, unavailable } from '../../engine/core/errors.js';
import type { BuildJob, BuildMessage, BuildReply, BuildResult } from '../shared/build-job.js';

interface Link {
  port: MessagePort;
  pending: Map<number, { resolve: (r: BuildResult) => void; reject: (e: Error) => void }>;
}

export class BuilderLink {
  private links: Link[] = [];
  private next = 0;
  private ids = 0;

  /** Adds (or, for the same builder slot, replaces) the port of one builder. */
  attach(slot: number, port: MessagePort): void {
    const old = this.links[slot];
    if (old) this.fail(old, 'was replaced');
    const link: Link = { port, pending: new Map() };
    this.links[slot] = link;
    port.on('message', (r: BuildReply) => {
      const p = link.pending.get(r.id);
      if (!p) return;
      link.pending.delete(r.id);
      if ('err' in r) p.reject(new LarchError(r.err.code, r.err.message));
      else p.resolve(r.ok);
    });
    port.on('close', () => this.fail(link, 'stopped'));
    port.unref();
  }

  private fail(link: Link, why: string): void {
    for (const p of link.pending.values()) p.reject(unavailable(`The index builder ${why} during a build; it will be retried.`));
    link.pending.clear();
  }

  build(job: BuildJob): Promise<BuildResult> {
    const live = this.links.filter(Boolean);
    if (live.length === 0) return Promise.reject(unavailable('No index builder is running.'));
    const link = live[this.next++ % live.length]!;
    const id = ++this.ids;
    return new Promise((resolve, reject) => {
      link.pending.set(id, { resolve, reject });
      link.port.postMessage({ id, job } satisfies BuildMessage);
    });
  }
}
