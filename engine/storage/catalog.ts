/**
 * The catalog: every index and its settings, one JSON file rewritten atomically on each change
 * (`<data>/catalog.json`). A catalog that does not parse or whose checksum is wrong stops the open, by name.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckedJson, writeCheckedJson } from './checked-json.js';
import { CATALOG_FILE as FILE } from './layout.js';
import type { IndexConfig } from '../core/index-config.js';
import { diskError } from '../core/errors.js';

const FORMAT = 2;

export class Catalog {
  private constructor(
    private readonly dir: string | null,
    private indexes: Map<string, IndexConfig>,
  ) {}

  static async load(dir: string | null): Promise<Catalog> {
    if (!dir) return new Catalog(null, new Map());
    await mkdir(dir, { recursive: true });
    const list = await readCheckedJson<IndexConfig[]>(join(dir, FILE), FORMAT, 'Catalog file');
    if (list !== null && !Array.isArray(list)) throw new Error(`Catalog file ${join(dir, FILE)} holds no index list`);
    return new Catalog(dir, new Map((list ?? []).map((c) => [c.name, c])));
  }

  get(name: string): IndexConfig | undefined {
    return this.indexes.get(name);
  }

  list(): IndexConfig[] {
    return [...this.indexes.values()];
  }

  /** Adds or replaces an index; resolves once the catalog is durable (memory changes only after that). */
  async put(cfg: IndexConfig): Promise<void> {
    await this.replace(new Map(this.indexes).set(cfg.name, cfg));
  }

  async remove(name: string): Promise<void> {
    const next = new Map(this.indexes);
    next.delete(name);
    await this.replace(next);
  }

  private async replace(next: Map<string, IndexConfig>): Promise<void> {
    if (this.dir) await writeCheckedJson(join(this.dir, FILE), FORMAT, [...next.values()]).catch((err: unknown) => {
      throw diskError(err, `the catalog ${join(this.dir!, FILE)}`);
    });
    this.indexes = next;
  }
}
