/**
 * Small JSON files guarded by a format number and a CRC-32C (the catalog, namespace manifests), replaced
 * atomically: after a crash the file holds the old or the new content in full, and a damaged one is refused by name.
 */
import { readFile } from 'node:fs/promises';
import { LarchError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { crc32c } from './crc32c.js';

interface Envelope<T> {
  format: number;
  data: T;
  crc32c: number;
}

const checksum = (data: unknown) => crc32c(new TextEncoder().encode(JSON.stringify(data)));

/** Writes `data` to `path` atomically (temp file, fsync, rename, fsync directory). */
export async function writeCheckedJson(path: string, format: number, data: unknown): Promise<void> {
  const file: Envelope<unknown> = { format, data, crc32c: checksum(data) };
  await writeFileAtomic(path, JSON.stringify(file, null, 1));
}

/** Reads a file written by {@link writeCheckedJson}; null when it does not exist, DATA_LOSS naming it when damaged. */
export async function readCheckedJson<T>(path: string, format: number, what: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const fail = (why: string) => new LarchError('DATA_LOSS', `${what} ${path} is corrupt (${why}); refusing to open the data directory. Restore the file from a backup.`);
  let parsed: Envelope<T>;
  try {
    parsed = JSON.parse(text) as Envelope<T>;
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== format) throw fail(`format is not ${format}`);
  if (checksum(parsed.data) !== parsed.crc32c) throw fail('checksum mismatch');
  return parsed.data;
}
