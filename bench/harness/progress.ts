/**
 * Progress of a run on the terminal: a live bar per measurement (throughput so far, ETA) with cli-progress when
 * stderr is a terminal, otherwise (pipes, files, CI=true) one plain line when a measurement starts and ends.
 *
 * @module
 */
import cliProgress from 'cli-progress';

/** Receives progress; the library call's default reports nothing. */
export interface ProgressSink {
  /** A measurement starts: `total` units (ms of its run, or records for a load). */
  begin(label: string, total: number, unit: string): void;
  /** `done` of `total` units; `rate` = operations per second so far. */
  update(done: number, rate: number): void;
  /** The measurement ended; `summary` is its one-line result. */
  end(summary: string): void;
  /** A line of information between measurements. */
  log(line: string): void;
}

/** Reports nothing. */
export const silentProgress: ProgressSink = { begin() {}, update() {}, end() {}, log() {} };

/** A bar on a TTY, plain lines elsewhere (or always, with `plain`). */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, plain = !stream.isTTY || process.env.CI === 'true'): ProgressSink {
  if (plain) {
    let label = '';
    return {
      begin(l, total, unit) {
        label = l;
        stream.write(`${l}: running (${unit === 'ms' ? `${(total / 1000).toFixed(1)} s` : `${total} ${unit}`})\n`);
      },
      update() {},
      end(summary) {
        stream.write(`${label}: ${summary}\n`);
      },
      log(line) {
        stream.write(`${line}\n`);
      },
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  let label = '';
  return {
    begin(l, total, unit) {
      label = l;
      bar = new cliProgress.SingleBar({
        stream,
        format: `{label} [{bar}] {percentage}% | {rate}/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      }, cliProgress.Presets.shades_classic);
      bar.start(total, 0, { label: l, rate: '0', unit });
    },
    update(done, rate) {
      bar?.update(done, { rate: rate >= 100 ? rate.toFixed(0) : rate.toFixed(1) });
    },
    end(summary) {
      bar?.stop();
      bar = null;
      stream.write(`${label}: ${summary}\n`);
    },
    log(line) {
      stream.write(`${line}\n`);
    },
  };
}
