/**
 * A namespace's id table: each live id and the one row that holds it (a row reference, segment.ts), plus the ids in
 * bitwise order for listing, sorted again only after the set of ids changed.
 */
import { bitwise } from '../../engine/core/order.js';

export class IdTable {
  private rows = new Map<string, number>();
  private sorted: string[] | null = null;

  get size(): number {
    return this.rows.size;
  }

  /** The row holding `id`, if it is live. */
  get(id: string): number | undefined {
    return this.rows.get(id);
  }

  /** Points `id` at `ref` (a row that replaces its old one, or a new id). */
  set(id: string, ref: number): void {
    // One lookup, not two (has + set): every upserted record comes through here.
    const before = this.rows.size;
    this.rows.set(id, ref);
    if (this.rows.size !== before) this.sorted = null;
  }

  /** Forgets `id`; answers the row it was at. */
  delete(id: string): number | undefined {
    const ref = this.rows.get(id);
    if (ref !== undefined) {
      this.rows.delete(id);
      this.sorted = null;
    }
    return ref;
  }

  clear(): void {
    this.rows = new Map();
    this.sorted = null;
  }

  /** Ids in bitwise order after `after`, with `prefix`, at most `limit`; `more` is set when more remain. */
  list(prefix: string, limit: number, after: string | undefined): { ids: string[]; more: boolean } {
    if (!this.sorted) this.sorted = [...this.rows.keys()].sort(bitwise);
    const s = this.sorted;
    const start = after ?? prefix;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! < start || (after !== undefined && s[mid]! === after)) lo = mid + 1;
      else hi = mid;
    }
    const ids: string[] = [];
    let i = lo;
    for (; i < s.length && ids.length < limit; i++) {
      if (!s[i]!.startsWith(prefix)) break;
      ids.push(s[i]!);
    }
    const more = i < s.length && s[i]!.startsWith(prefix);
    return { ids, more };
  }
}
