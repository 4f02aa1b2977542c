/**
 * A LarchDB server in a process of its own, started the way a user starts it (`larchdb serve`), for benchmarks that
 * must not share the client's event loop and cores with the server's.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The compiled CLI of this build. */
export const THIS_CLI = fileURLToPath(new URL('../cli/larchdb.js', import.meta.url));

export interface ServerProcess {
  /** Base URL from the "LarchDB listening on" line. */
  url: string;
  pid: number;
  /** CPU time (user + system, all threads) the server has used so far, in ms; null off Linux. */
  cpuMs(): number | null;
  /** SIGTERM, then waits for the exit (the CLI closes the database first). */
  stop(): Promise<void>;
}

/**
 * Starts `node <nodeArgs> <cli> serve --port 0 <args>` on 127.0.0.1 and resolves once it listens. `nodeArgs` lets a
 * run profile the server (`--cpu-prof`).
 */
export async function startServer(opts: { cli?: string; args?: string[]; nodeArgs?: string[] }): Promise<ServerProcess> {
  const cli = opts.cli ?? THIS_CLI;
  const child: ChildProcess = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), cli, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'warn', ...(opts.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    output.push(l);
    process.stderr.write(`[server ${child.pid}] ${l}\n`);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output.join('\n')}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /^LarchDB listening on (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const pid = child.pid!;
  return {
    url,
    pid,
    cpuMs: () => processCpuMs(pid),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** utime + stime of a process from /proc/<pid>/stat (clock ticks of 10 ms); null where there is no /proc. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}
