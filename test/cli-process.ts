/** The `larchdb` CLI as a child process, for tests that run the server the way a user starts it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry. */
export const CLI = fileURLToPath(new URL('../cli/larchdb.js', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  /** The URL from the "LarchDB listening on" line. */
  url: string;
  /** That whole line. */
  banner: string;
  /** Every stdout and stderr line so far, for failure messages. */
  output: string[];
}

/** Starts the CLI with `args` (and `env`) and resolves once it prints its listening line. */
export async function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  const [url, banner] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start:\n${output.join('\n')}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`CLI exited with ${code}:\n${output.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /^LarchDB listening on (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve([m[1]!, line]);
      }
    });
  });
  return { child, url, banner, output };
}

/** Sends `signal` and resolves with the exit code. */
export async function stopCli(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}
