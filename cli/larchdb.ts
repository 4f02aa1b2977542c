#!/usr/bin/env node
/**
 * The `larchdb` command: `larchdb bench ...` runs the benchmark harness (bench/harness/cli.ts); everything else is
 * the server's command line (server/cli.ts: `serve`, `--help`, `--version`, index-emulator mode).
 */
import { benchMain } from '../bench/harness/cli.js';
import { serveMain } from '../server/cli.js';

const argv = process.argv.slice(2);
if (argv[0] === 'bench') {
  benchMain(argv.slice(1)).then(
    (code) => {
      // Worker threads and sockets are closed by now; exit explicitly so a lingering keep-alive timer cannot hold the process.
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`larchdb bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  await serveMain(argv);
}
