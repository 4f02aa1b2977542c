#!/usr/bin/env node
/**
 * `larchdb serve`: runs the Pinecone-compatible HTTP server on a data directory until SIGINT/SIGTERM, then stops
 * accepting connections, lets in-flight requests finish, closes the database (writing its snapshots) and exits 0.
 */
import { parseArgs } from 'node:util';
import { LarchDB } from '../engine/index.js';
import { createServer } from './app.js';

const USAGE = `Usage: larchdb serve [options]

Options:
  --port <n>              port to listen on (default 5080)
  --host <addr>           address to bind (default 127.0.0.1)
  --data <dir>            data directory (default ./larch-data)
  --api-key <key>         require this Api-Key header; repeat for several keys (default: no authentication)
  --advertise-host <url>  base URL reported in index hosts, e.g. https://vectors.example.com
                          (default: http:// + the Host header the client used)
  --log-level <level>     fatal, error, warn, info, debug (logs every request) or trace (default info)
  -h, --help              show this help
`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function fail(message: string): never {
  process.stderr.write(`larchdb: ${message}\n\n${USAGE}`);
  process.exit(2);
}

interface ServeConfig {
  port: number;
  host: string;
  data: string;
  apiKeys: string[];
  advertiseHost?: string;
  logLevel: string;
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
        'api-key': { type: 'string', multiple: true },
        'advertise-host': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return null;
  }
  if (positionals.length !== 1 || positionals[0] !== 'serve') fail(positionals.length === 0 ? 'missing command' : `unknown command '${positionals.join(' ')}'`);

  const port = Number(values.port ?? '5080');
  if (!/^\d+$/.test(values.port ?? '5080') || port > 65535) fail(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  const apiKeys = values['api-key'] ?? [];
  if (apiKeys.some((k) => k.length === 0)) fail('--api-key must not be empty');
  const advertiseHost = values['advertise-host'];
  if (advertiseHost !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(advertiseHost)) {
    fail(`--advertise-host must be an http:// or https:// URL, got '${advertiseHost}'`);
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  return { port, host: values.host ?? '127.0.0.1', data: values.data ?? './larch-data', apiKeys, advertiseHost, logLevel };
}

async function serve(cfg: ServeConfig): Promise<void> {
  let db: LarchDB;
  try {
    db = await LarchDB.open({ path: cfg.data });
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
    process.stdout.write(`LarchDB listening on ${address} (data: ${db.path ?? ':memory:'}, auth: ${cfg.apiKeys.length > 0 ? 'api key' : 'none'})\n`);
  } catch (err) {
    process.stderr.write(`larchdb: cannot listen on ${cfg.host}:${cfg.port}: ${(err as Error).message}\n`);
    await db.close();
    process.exit(1);
  }
}

const cfg = parse(process.argv.slice(2));
if (cfg) await serve(cfg);
