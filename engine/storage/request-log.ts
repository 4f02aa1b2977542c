/**
 * The request log of one namespace: every accepted write, framed and checksummed, appended before the write is
 * answered. This is one of the two storage seams (the other is the slab store): a replicated stream could take
 * its place without the actors noticing.
 *
 * Files: `<dir>/<first LSN, 20 digits>.wal`, each starting with an 8-byte header ('LWAL', format 1), then frames:
 *   u32 payload bytes, u32 CRC-32C of the payload, payload = f64 LSN, u8 op, 3 bytes 0, body.
 *
 * A write's bytes travel as a {@link LogRecord}: head room for the frame's first 20 bytes, then the body, in a
 * pooled buffer. The log fills the head in place, so a body read straight into a record (the namespace host copies
 * an upsert out of its ring into one) is checksummed, written, decoded and applied without another copy, and the
 * buffer goes back to the pool once the write is applied.
 *
 * Group commit: appends queue while a round is in flight; the next round writes everything queued with one
 * `writev`, then resolves those appends in LSN order. With durability `fsync` the file is opened O_DSYNC, so that
 * one call returns once the data is on disk (what write + fdatasync does, in one trip through the libuv pool, not
 * two). A failed round is cut off the file again (ftruncate to the last good size) and its appends are rejected,
 * so the file never holds a record the actor did not apply.
 */
import { close as fsClose, constants, fdatasync, ftruncate, open as fsOpen, writev } from 'node:fs';
import { readdir, readFile, mkdir, open, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LarchError } from '../core/errors.js';
import { BufferPool } from './buffer-pool.js';
import { crc32c, crc32cCombine } from './crc32c.js';
import { fsyncDir } from './atomic-file.js';
import { isLogFile, logFileName } from './layout.js';
import type { Durability } from '../core/settings.js';

export interface LogEntry {
  lsn: number;
  op: number;
  body: Uint8Array;
}

const MAGIC = 0x4c41574c; // 'LWAL'
const FORMAT = 1;
const HEADER = 8;
const FRAME_HEAD = 8;
const PAYLOAD_HEAD = 12;
/** A log file is closed and a new one started past this size, so truncation can drop whole files. */
const DEFAULT_FILE_BYTES = 64 << 20;

interface LogFile {
  path: string;
  lastLsn: number;
  bytes: number;
}

interface Pending {
  rec: LogRecord;
  lsn: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** What recovery found in the log. */
export interface ReplayReport {
  entries: number;
  bytes: number;
  /** Set when a torn final record was cut off. */
  torn?: { file: string; offset: number; droppedBytes: number };
}


/** Bytes before a record's body: the frame head (length, CRC) and the payload head (LSN, op, padding). */
export const RECORD_HEAD = FRAME_HEAD + PAYLOAD_HEAD;

/** A write as the log takes it: `bytes` is the whole frame to be, `body` its last part (4-byte aligned). */
export interface LogRecord {
  readonly bytes: Uint8Array;
  readonly body: Uint8Array;
  /** CRC-32C of the body, when whoever wrote it computed it (then the body is not read again to checksum it). */
  bodyCrc?: number;
}

/** The write path's buffers, one pool per thread. */
const records = new BufferPool();

/** A record with room for a body of `bodyLength` bytes (to be filled by the caller). */
export function newLogRecord(bodyLength: number): LogRecord {
  const bytes = records.take(RECORD_HEAD + bodyLength);
  return { bytes, body: bytes.subarray(RECORD_HEAD) };
}

/** A record holding a copy of `body`. */
export function logRecordOf(body: Uint8Array): LogRecord {
  const r = newLogRecord(body.length);
  r.body.set(body);
  return r;
}

/** Gives a record's buffer back for reuse: no view of its bytes or body may be used afterwards. */
export function releaseLogRecord(r: LogRecord): void {
  records.give(r.bytes);
}

/** Fills in the frame head of `r`: length, LSN, op, and the CRC over the payload. */
function seal(r: LogRecord, lsn: number, op: number): void {
  const b = r.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, RECORD_HEAD);
  dv.setUint32(0, b.length - FRAME_HEAD, true);
  dv.setFloat64(FRAME_HEAD, lsn, true);
  dv.setUint32(FRAME_HEAD + 8, op & 0xff, true); // op, then three zero bytes
  const crc = r.bodyCrc === undefined
    ? crc32c(b.subarray(FRAME_HEAD))
    : crc32cCombine(crc32c(b.subarray(FRAME_HEAD, RECORD_HEAD)), r.bodyCrc, r.body.length);
  dv.setUint32(4, crc, true);
}

const openFd = (path: string, flags: number): Promise<number> =>
  new Promise((resolve, reject) => fsOpen(path, flags, 0o644, (err, fd) => (err ? reject(err) : resolve(fd))));
const closeFd = (fd: number): Promise<void> => new Promise((resolve, reject) => fsClose(fd, (err) => (err ? reject(err) : resolve())));

/** Writes all of `bufs` at `pos` (a short write continues where it stopped). */
async function writevAll(fd: number, bufs: Uint8Array[], pos: number): Promise<void> {
  // libuv splits at IOV_MAX itself; a short write (ENOSPC on the way) is retried from where it stopped, so the error
  // surfaces with its errno.
  while (bufs.length > 0) {
    const n = await new Promise<number>((resolve, reject) => writev(fd, bufs, pos, (err, written) => (err ? reject(err) : resolve(written))));
    if (n <= 0) throw new Error(`writev wrote ${n} bytes`);
    pos += n;
    let skip = n;
    let i = 0;
    while (i < bufs.length && skip >= bufs[i]!.length) skip -= bufs[i++]!.length;
    bufs = bufs.slice(i);
    if (skip > 0) bufs[0] = bufs[0]!.subarray(skip);
  }
}

/** Cuts a failed round off the file and makes the cut durable (best effort: the round already failed). */
const cutBack = (fd: number, size: number): Promise<void> =>
  new Promise((resolve) => ftruncate(fd, size, () => fdatasync(fd, () => resolve())));

function dataLoss(file: string, why: string): LarchError {
  return new LarchError('DATA_LOSS', `Request log ${file} is corrupt (${why}); refusing to start rather than lose acknowledged writes. Restore the file from a backup, or move the namespace directory aside.`);
}

/** An append-only, group-committed request log. */
export class RequestLog {
  private files: LogFile[] = [];
  /** The file being appended to (opened O_DSYNC with durability `fsync`). */
  private fd: number | null = null;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private rollRequested = false;
  private closed = false;
  /** Bytes appended since the last {@link roll}: the namespace flushes its memtable when the log grows large. */
  bytesSinceRoll = 0;
  /** Records written, and the rounds (one writev each) that wrote them, since the log was opened. */
  writes = 0;
  rounds = 0;

  private constructor(
    readonly dir: string,
    private readonly durability: Durability,
    private readonly fileBytes: number,
    /** Runs once before the first byte is written (creates the namespace's directory and manifest). */
    private beforeFirstWrite: (() => Promise<void>) | null,
  ) {}

  /** A log for a namespace that has none yet: nothing to replay; `beforeFirstWrite` creates its directory. */
  static fresh(dir: string, durability: Durability, beforeFirstWrite: () => Promise<void>): RequestLog {
    return new RequestLog(dir, durability, DEFAULT_FILE_BYTES, beforeFirstWrite);
  }

  /**
   * Opens the log in `dir` and calls `apply` for every entry with an LSN above `afterLsn`, in order. A torn final
   * record (a crash mid-append) is cut off and reported; damage anywhere else refuses the open, naming the file.
   */
  static async open(
    dir: string,
    opts: { durability: Durability; afterLsn: number; fileBytes?: number },
    apply: (e: LogEntry) => void,
  ): Promise<{ log: RequestLog; report: ReplayReport }> {
    const log = new RequestLog(dir, opts.durability, opts.fileBytes ?? DEFAULT_FILE_BYTES, null);
    const report = await log.replay(opts.afterLsn, apply);
    return { log, report };
  }

  private async replay(afterLsn: number, apply: (e: LogEntry) => void): Promise<ReplayReport> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter(isLogFile).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: 0, bytes: 0 };
      throw err;
    }
    const report: ReplayReport = { entries: 0, bytes: 0 };
    let prevLsn = 0;
    for (let s = 0; s < names.length; s++) {
      const path = join(this.dir, names[s]!);
      const last = s === names.length - 1;
      const buf = new Uint8Array(await readFile(path));
      report.bytes += buf.length;
      const file: LogFile = { path, lastLsn: 0, bytes: buf.length };
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      if (buf.length < HEADER || dv.getUint32(0, true) !== MAGIC) {
        // A log file whose header never reached the disk holds no acknowledged write.
        if (last && buf.length < HEADER) {
          await unlink(path);
          if (buf.length > 0) report.torn = { file: path, offset: 0, droppedBytes: buf.length };
          continue;
        }
        throw dataLoss(path, buf.length < HEADER ? 'truncated header' : 'bad magic');
      }
      if (dv.getUint32(4, true) !== FORMAT) throw dataLoss(path, `unknown format ${dv.getUint32(4, true)}`);
      let o = HEADER;
      while (o < buf.length) {
        const bad = (why: string) => {
          if (!last) throw dataLoss(path, `${why} at byte ${o}, before the last log file`);
          return true;
        };
        let torn = false;
        if (buf.length - o < FRAME_HEAD + PAYLOAD_HEAD) torn = bad('short frame');
        else {
          const len = dv.getUint32(o, true);
          if (len < PAYLOAD_HEAD || o + FRAME_HEAD + len > buf.length) torn = bad('frame runs past the end');
          else if (crc32c(buf.subarray(o + FRAME_HEAD, o + FRAME_HEAD + len)) !== dv.getUint32(o + 4, true)) torn = bad('checksum mismatch');
          else {
            const lsn = dv.getFloat64(o + FRAME_HEAD, true);
            if (!(lsn > prevLsn)) throw dataLoss(path, `LSN ${lsn} after ${prevLsn} at byte ${o}`);
            prevLsn = lsn;
            file.lastLsn = lsn;
            if (lsn > afterLsn) {
              apply({ lsn, op: dv.getUint8(o + FRAME_HEAD + 8), body: buf.subarray(o + FRAME_HEAD + PAYLOAD_HEAD, o + FRAME_HEAD + len) });
              report.entries++;
            }
            o += FRAME_HEAD + len;
          }
        }
        if (torn) {
          // Only the tail after the last fsync can be partial: no write in it was acknowledged.
          report.torn = { file: path, offset: o, droppedBytes: buf.length - o };
          const fh = await open(path, 'r+');
          try {
            await fh.truncate(o);
            await fh.sync();
          } finally {
            await fh.close();
          }
          file.bytes = o;
          break;
        }
      }
      this.files.push(file);
    }
    if (this.files.length > 0) this.beforeFirstWrite = null;
    return report;
  }

  /**
   * Appends a record (its head is filled in here); resolves once it is durable (per the durability setting). LSNs
   * must increase. The record's buffer stays the caller's: release it once the write is applied or failed.
   */
  append(lsn: number, op: number, rec: LogRecord): Promise<void> {
    if (this.closed) return Promise.reject(new LarchError('UNAVAILABLE', 'The namespace is closing; retry the write.'));
    seal(rec, lsn, op);
    return new Promise((resolve, reject) => {
      this.queue.push({ rec, lsn, resolve, reject });
      // An idle log starts its next round at the end of the tick, so the writes that arrived together (several
      // calls handled in one turn of the event loop) share it; while a round is in flight, writes queue for the next.
      this.flushing ??= new Promise<void>((r) => process.nextTick(r)).then(() => this.flushLoop());
    });
  }

  /** Starts a new log file with the next append, so everything before it can later be dropped whole. */
  roll(): void {
    this.rollRequested = true;
    this.bytesSinceRoll = 0;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.writeBatch(batch);
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private get openFlags(): number {
    return constants.O_RDWR | (this.durability === 'fsync' ? constants.O_DSYNC : 0);
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    if (this.beforeFirstWrite) {
      await this.beforeFirstWrite();
      this.beforeFirstWrite = null;
    }
    let file = this.files[this.files.length - 1];
    if (!file || this.rollRequested || file.bytes >= this.fileBytes) {
      file = await this.startFile(batch[0]!.lsn);
      this.rollRequested = false;
    } else if (this.fd === null) {
      this.fd = await openFd(file.path, this.openFlags);
    }
    const fd = this.fd!;
    let total = 0;
    const bufs = batch.map((p) => {
      total += p.rec.bytes.length;
      return p.rec.bytes;
    });
    try {
      // O_DSYNC (durability fsync): the call returns once everything written is on disk.
      await writevAll(fd, bufs, file.bytes);
    } catch (err) {
      // Cut the failed round off again so no later write can make it durable behind the actor's back.
      await cutBack(fd, file.bytes);
      throw err;
    }
    file.bytes += total;
    file.lastLsn = batch[batch.length - 1]!.lsn;
    this.bytesSinceRoll += total;
    this.writes += batch.length;
    this.rounds++;
  }

  private async startFile(firstLsn: number): Promise<LogFile> {
    if (this.fd !== null) await closeFd(this.fd);
    this.fd = null;
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, logFileName(firstLsn));
    const fh = await open(path, 'w+');
    try {
      const head = new Uint8Array(HEADER);
      const dv = new DataView(head.buffer);
      dv.setUint32(0, MAGIC, true);
      dv.setUint32(4, FORMAT, true);
      await fh.write(head, 0, HEADER, 0);
      await fh.sync();
      await fsyncDir(this.dir);
      await fsyncDir(dirname(this.dir));
    } catch (err) {
      await fh.close();
      await unlink(path).catch(() => undefined);
      throw err;
    }
    await fh.close();
    this.fd = await openFd(path, this.openFlags);
    const file: LogFile = { path, lastLsn: 0, bytes: HEADER };
    this.files.push(file);
    return file;
  }

  /**
   * Deletes whole log files whose records all have LSN ≤ `lsn`. The log file being written goes too when it is
   * covered and idle (the next append starts a new one), so a flushed namespace reopens with nothing to read.
   */
  async truncateThrough(lsn: number): Promise<void> {
    const doomed: LogFile[] = [];
    for (const s of this.files) {
      if (s.lastLsn > lsn) break;
      doomed.push(s);
    }
    const active = this.files[this.files.length - 1];
    let closing: number | null = null;
    if (active && doomed.includes(active)) {
      if (this.flushing || this.queue.length > 0) doomed.pop();
      else {
        closing = this.fd;
        this.fd = null;
        this.rollRequested = true;
      }
    }
    if (doomed.length === 0) return;
    this.files = this.files.filter((s) => !doomed.includes(s));
    if (closing !== null) await closeFd(closing).catch(() => undefined);
    for (const s of doomed) await unlink(s.path).catch(() => undefined);
    await fsyncDir(this.dir).catch(() => undefined);
  }

  /** Waits for queued appends, then closes the file. Later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) await closeFd(fd);
  }
}
