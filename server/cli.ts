/**
 * `larchdb serve`: runs the Pinecone-compatible HTTP server on a data directory until SIGINT/SIGTERM, then stops
 * accepting connections, lets in-flight requests finish, closes the database (writing its snapshots) and exits 0.
 * With DIMENSION, INDEX_TYPE or VECTOR_TYPE in the environment it also emulates Pinecone Local's `pinecone-index`
 * image (see emulator.ts and the help text).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LarchDB, type Durability } from '../engine/index.js';
import { DEFAULTS, MAX_MEMTABLE_BYTES } from '../engine/internal.js';
import { createServer } from './app.js';
import {
  EMULATOR_DEFAULT_INDEX_NAME,
  EMULATOR_DEFAULT_PORT,
  EmulatorEnvError,
  emulatorRequested,
  ensureEmulatorIndex,
  parseEmulatorEnv,
  registerEmulatorRoutes,
  type EmulatorConfig,
} from './emulator.js';

const USAGE = `Usage: larchdb serve [options]
       larchdb [serve] [options]    with DIMENSION, INDEX_TYPE or VECTOR_TYPE set (index-emulator mode)
       larchdb bench [options]      benchmark LarchDB or any Pinecone endpoint (larchdb bench --help)
       larchdb --version

Options:
  --port <n>              port to listen on (default 5080)
  --host <addr>           address to bind (default 127.0.0.1)
  --data <dir>            data directory (default ./larch-data)
  --durability <mode>     fsync (default): a write is answered once it is on disk; none: once the OS has it
                          (survives kill -9, but a power failure or OS crash may lose the last writes)
  --memtable-bytes <n>    memtable size at which a namespace writes it out as a slab (default ${DEFAULTS.memtableBytes})
  --idle-flush-ms <n>     a namespace with at least 4096 records in its memtable and no write for this long writes
                          it out (slab and graph) in the background; 0: only when full (default ${DEFAULTS.idleFlushMs})
  --max-frozen-memtables <n>  full memtables waiting for the index builder at once before writes wait for it
                          (default ${DEFAULTS.maxFrozenMemtables}; more absorbs bursts, queries scan them exactly meanwhile)
  --models-dir <dir>      inference models, laid out like the Hugging Face hub: <dir>/<org>/<name>/onnx/model.onnx
                          (default ./larch-models)
  --allow-model-downloads let a model missing from --models-dir be fetched from the Hugging Face hub into it
                          (default: never download; a missing model is a clear error)
  --inference-threads <n> inference worker processes (default 1)
  --api-key <key>         require this Api-Key header; repeat for several keys (default: no authentication)
  --advertise-host <url>  base URL reported in index hosts, e.g. https://vectors.example.com
                          (default: http:// + the Host header the client used)
  --log-level <level>     fatal, error, warn, info, debug (logs every request) or trace (default info)
  -h, --help              show this help
  -v, --version           print the version and exit

Index-emulator mode (like Pinecone Local's pinecone-index image):
  Turned on when any of DIMENSION, INDEX_TYPE or VECTOR_TYPE is set to a non-empty value; the subcommand
  'serve' is then optional. The server creates the index (or reuses it from the data directory if its
  configuration matches) and serves its data plane at the root of the port, so clients use
  http://<host>:<port> itself as the index host (POST /vectors/upsert, /query, /describe_index_stats ...).
  The control plane (/indexes ...) and /index/<name> stay available on the same port; none of their
  paths collide with the root data plane.
  INDEX_NAME    index name (default ${EMULATOR_DEFAULT_INDEX_NAME})
  INDEX_TYPE    serverless or pod (default serverless)
  VECTOR_TYPE   dense or sparse (default dense; sparse needs INDEX_TYPE=serverless)
  DIMENSION     1-20000 for dense (required); 0 or unset for sparse
  METRIC        cosine, euclidean or dotproduct (default cosine; sparse: dotproduct only)
  PORT          port to listen on (default ${EMULATOR_DEFAULT_PORT}); --port wins over it. Read only in this mode.
  Other options (--data, --host, --api-key ...) apply as usual.

Exit status: 0 after a clean shutdown; 2 for bad options or environment values; 1 when the server cannot
start (data directory busy, port in use, an existing index of that name with another configuration).
`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The version in package.json, read at run time: dist/server/cli.js sits two folders below the package root. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function fail(message: string): never {
  process.stderr.write(`larchdb: ${message}\n\n${USAGE}`);
  process.exit(2);
}

interface ServeConfig {
  port: number;
  host: string;
  data: string;
  durability: Durability;
  memtableBytes?: number;
  idleFlushMs?: number;
  maxFrozenMemtables?: number;
  modelsDir: string;
  allowModelDownloads: boolean;
  inferenceThreads?: number;
  apiKeys: string[];
  advertiseHost?: string;
  logLevel: string;
  /** Set in index-emulator mode. */
  emulator?: EmulatorConfig;
}

function parse(argv: string[]): ServeConfig | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        durability: { type: 'string' },
        'memtable-bytes': { type: 'string' },
        'idle-flush-ms': { type: 'string' },
        'max-frozen-memtables': { type: 'string' },
        'models-dir': { type: 'string' },
        'allow-model-downloads': { type: 'boolean' },
        'inference-threads': { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        'advertise-host': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  // Plain `larchdb` (no arguments) outside emulator mode is a newcomer asking what it does: show the help.
  if (values.help || (argv.length === 0 && !emulatorRequested(process.env))) {
    process.stdout.write(USAGE);
    return null;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return null;
  }
  let emulator: EmulatorConfig | undefined;
  if (emulatorRequested(process.env)) {
    try {
      emulator = parseEmulatorEnv(process.env);
    } catch (err) {
      if (!(err instanceof EmulatorEnvError)) throw err;
      fail(`index-emulator mode: ${err.message}`);
    }
  }
  const serve = positionals.length === 1 && positionals[0] === 'serve';
  if (!serve && !(emulator && positionals.length === 0)) fail(positionals.length === 0 ? 'missing command' : `unknown command '${positionals.join(' ')}'`);

  const portText = values.port ?? String(emulator?.port ?? (emulator ? EMULATOR_DEFAULT_PORT : 5080));
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) fail(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  const apiKeys = values['api-key'] ?? [];
  if (apiKeys.some((k) => k.length === 0)) fail('--api-key must not be empty');
  const advertiseHost = values['advertise-host'];
  if (advertiseHost !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(advertiseHost)) {
    fail(`--advertise-host must be an http:// or https:// URL, got '${advertiseHost}'`);
  }
  const durability = values.durability ?? DEFAULTS.durability;
  if (durability !== 'fsync' && durability !== 'none') fail(`--durability must be fsync or none, got '${durability}'`);
  const mt = values['memtable-bytes'];
  if (mt !== undefined && (!/^\d+$/.test(mt) || Number(mt) < 1 || Number(mt) > MAX_MEMTABLE_BYTES)) {
    fail(`--memtable-bytes must be an integer from 1 to ${MAX_MEMTABLE_BYTES} (1 GiB), got '${mt}'`);
  }
  const idle = values['idle-flush-ms'];
  if (idle !== undefined && (!/^\d+$/.test(idle) || Number(idle) > 86_400_000)) fail(`--idle-flush-ms must be an integer from 0 to 86400000, got '${idle}'`);
  const mf = values['max-frozen-memtables'];
  if (mf !== undefined && !/^([1-9]|[1-5]\d|6[0-4])$/.test(mf)) fail(`--max-frozen-memtables must be an integer from 1 to 64, got '${mf}'`);
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  const it = values['inference-threads'];
  if (it !== undefined && !/^[1-9]\d{0,2}$/.test(it)) fail(`--inference-threads must be an integer from 1 to 999, got '${it}'`);
  return {
    port,
    host: values.host ?? '127.0.0.1',
    data: values.data ?? DEFAULTS.path,
    durability,
    ...(mt ? { memtableBytes: Number(mt) } : {}),
    ...(idle !== undefined ? { idleFlushMs: Number(idle) } : {}),
    ...(mf !== undefined ? { maxFrozenMemtables: Number(mf) } : {}),
    modelsDir: values['models-dir'] ?? DEFAULTS.modelsDir,
    allowModelDownloads: values['allow-model-downloads'] === true,
    ...(it ? { inferenceThreads: Number(it) } : {}),
    apiKeys,
    advertiseHost,
    logLevel,
    ...(emulator ? { emulator } : {}),
  };
}

async function serve(cfg: ServeConfig): Promise<void> {
  let db: LarchDB;
  try {
    db = await LarchDB.open({
      path: cfg.data,
      durability: cfg.durability,
      memtableBytes: cfg.memtableBytes,
      idleFlushMs: cfg.idleFlushMs,
      maxFrozenMemtables: cfg.maxFrozenMemtables,
      modelsDir: cfg.modelsDir,
      allowModelDownloads: cfg.allowModelDownloads,
      inferenceThreads: cfg.inferenceThreads,
    });
  } catch (err) {
    process.stderr.write(`larchdb: cannot open data directory ${cfg.data}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const app = createServer({
    db,
    apiKeys: cfg.apiKeys,
    advertiseHost: cfg.advertiseHost,
    logger: { level: cfg.logLevel },
    logRequests: cfg.logLevel === 'debug' || cfg.logLevel === 'trace',
  });
  let emulated = '';
  if (cfg.emulator) {
    try {
      const { created } = await ensureEmulatorIndex(db, cfg.emulator);
      emulated = `, index-emulator: ${created ? 'created' : 'reused'} index '${cfg.emulator.name}' served at the root`;
    } catch (err) {
      process.stderr.write(`larchdb: index-emulator mode: ${(err as Error).message}\n`);
      await db.close();
      process.exit(1);
    }
    registerEmulatorRoutes(app, db, cfg.emulator.name);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      process.stderr.write(`larchdb: ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    app.log.info(`${signal}: shutting down`);
    try {
      await app.close();
      app.log.info('HTTP server closed; closing the database');
      await db.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    const address = await app.listen({ port: cfg.port, host: cfg.host });
    // A plain line on stdout that scripts (and the tests) can wait for.
    process.stdout.write(`LarchDB listening on ${address} (data: ${db.path ?? ':memory:'}, models: ${resolve(cfg.modelsDir)}, auth: ${cfg.apiKeys.length > 0 ? 'api key' : 'none'}${emulated})\n`);
  } catch (err) {
    process.stderr.write(`larchdb: cannot listen on ${cfg.host}:${cfg.port}: ${(err as Error).message}\n`);
    await db.close();
    process.exit(1);
  }
}

/** Runs `larchdb [serve] ...` with `argv` (the arguments after `larchdb`). */
export async function serveMain(argv: string[]): Promise<void> {
  const cfg = parse(argv);
  if (cfg) await serve(cfg);
}
