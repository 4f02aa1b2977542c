import { resourceExhausted } from '../../engine/core/errors.js';

/**
 * An actor's bounded mailbox: messages run one at a time in arrival order. A full mailbox refuses new work
 * (RESOURCE_EXHAUSTED, HTTP 429) instead of growing without limit.
 */
export class Mailbox {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly limit: number,
    private readonly owner: string,
  ) {}

  get size(): number {
    return this.pending;
  }

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.pending >= this.limit) {
      return Promise.reject(resourceExhausted(`Too many requests queued for ${this.owner} (${this.limit}); retry with backoff.`));
    }
    this.pending++;
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }
}
