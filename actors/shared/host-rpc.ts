/**
 * The wire between the main thread and a namespace host: numbered calls and their replies, over the worker's port.
 * Calls go one per message as they are made (the host starts on one while the main thread prepares the next) and
 * start in arrival order, so the ring frames they carry are read in the order they were written. Replies made in
 * one tick go back in one message: the writes of one group commit are answered together, and waking a sleeping
 * thread costs more than anything else in a message (~13 µs of the sender's time on the 2-vCPU VM, against ~2 µs
 * for a message to a thread that is awake).
 */
import type { TransferListItem } from 'node:worker_threads';
import type { Reply } from './host-api.js';

export type RpcCall = [id: number, method: string, args: unknown[]];
export type RpcReply = [id: number, reply: Reply<unknown>];

/** What crosses the port: a batch of calls (main → host) or of replies (host → main). */
export type RpcMessage = { calls: RpcCall[] } | { replies: RpcReply[] };

/**
 * Collects items posted during one tick and sends them as one message once the tick's microtasks have run (a
 * `process.nextTick` queued from a microtask runs after the microtask queue drains), with their transfer lists.
 */
export class Outbox<T> {
  private items: T[] = [];
  private transfer: TransferListItem[] = [];

  constructor(private readonly send: (items: T[], transfer: TransferListItem[]) => void) {}

  push(item: T, transfer?: readonly TransferListItem[]): void {
    if (this.items.length === 0) process.nextTick(() => this.flush());
    this.items.push(item);
    if (transfer) this.transfer.push(...transfer);
  }

  /** Sends what is queued now (also called by the tick it scheduled; a second call finds nothing). */
  flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    const transfer = this.transfer;
    this.items = [];
    this.transfer = [];
    this.send(items, transfer);
  }
}
