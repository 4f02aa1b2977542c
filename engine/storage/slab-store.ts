/**
 * Where slab files live: the blob-store seam of storage (write once, read, delete, list). The local store keeps
 * them in a directory; an object store could take its place. A write is durable when it resolves.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './atomic-file.js';

export interface SlabStore {
  /** Writes `chunks` as blob `name`; resolves once durable. Returns the byte count. */
  write(name: string, chunks: readonly Uint8Array[]): Promise<number>;
  read(name: string): Promise<Uint8Array>;
  remove(name: string): Promise<void>;
  list(): Promise<string[]>;
}

/** Slabs as files in one directory: temp file, fsync, rename, fsync the directory. */
export class FileSlabStore implements SlabStore {
  constructor(readonly dir: string) {}

  async write(name: string, chunks: readonly Uint8Array[]): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `${name}.tmp`);
    const fh = await open(tmp, 'w');
    let at = 0;
    try {
      for (const c of chunks) {
        for (let done = 0; done < c.length; ) {
          const { bytesWritten } = await fh.write(c, done, c.length - done, at);
          done += bytesWritten;
          at += bytesWritten;
        }
      }
      await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, join(this.dir, name));
    await fsyncDir(this.dir);
    return at;
  }

  async read(name: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(join(this.dir, name)));
  }

  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async list(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
