/**
 * The catalog: every index and its settings, one JSON file rewritten atomically on each change
 * (`<data>/catalog.json`). A catalog that does not parse or whose checksum is wrong stops the open, by name.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LarchError } from './errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { crc32c } from './crc32c.js';
import type { IndexConfig } from './index-config.js';

const FILE = 'catalog.json';
const FORMAT = 1;

interface CatalogFile {
  format: number;
  indexes: IndexConfig[];
  crc32c: number;
}

const checksum = (indexes: IndexConfig[]) => crc32c(new TextEncoder().encode(JSON.stringify(indexes)));

export class Catalog {
  private constructor(
    private readonly dir: string | null,
    private readonly indexes: Map<string, IndexConfig>,
  ) {}

  static async load(dir: string | null): Promise<Catalog> {
    if (!dir) return new Catalog(null, new Map());
    await mkdir(dir, { recursive: true });
    const path = join(dir, FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Catalog(dir, new Map());
      throw err;
    }
    let parsed: CatalogFile;
    try {
      parsed = JSON.parse(text) as CatalogFile;
    } catch (err) {
      throw new LarchError('DATA_LOSS', `Catalog file ${path} is corrupt (${(err as Error).message}); refusing to open the data directory.`);
    }
    if (parsed.format !== FORMAT || !Array.isArray(parsed.indexes) || checksum(parsed.indexes) !== parsed.crc32c) {
      throw new LarchError('DATA_LOSS', `Catalog file ${path} is corrupt (format or checksum mismatch); refusing to open the data directory.`);
    }
    return new Catalog(dir, new Map(parsed.indexes.map((c) => [c.name, c])));
  }

  get(name: string): IndexConfig | undefined {
    return this.indexes.get(name);
  }

  list(): IndexConfig[] {
    return [...this.indexes.values()];
  }

  async put(cfg: IndexConfig): Promise<void> {
    this.indexes.set(cfg.name, cfg);
    await this.save();
  }

  async remove(name: string): Promise<void> {
    this.indexes.delete(name);
    await this.save();
  }

  private async save(): Promise<void> {
    if (!this.dir) return;
    const indexes = this.list();
    const file: CatalogFile = { format: FORMAT, indexes, crc32c: checksum(indexes) };
    await writeFileAtomic(join(this.dir, FILE), JSON.stringify(file, null, 2));
  }
}
