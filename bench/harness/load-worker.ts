/**
 * A load-generating worker thread: builds its own HTTP client of the remote target from serializable settings and
 * runs measurements as the main thread asks, sending back its samples (transferred, not copied).
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DataPlaneClient } from './target-http-client.js';
import type { RemoteTargetConfig } from './target.js';
import type { LoadData, TruthView } from './load-data.js';
import { runLoop, type LoadSpec } from './load-loop.js';

/** Sent once, at the worker's start. */
export interface LoadWorkerInit {
  remote: RemoteTargetConfig;
  data: LoadData;
}

/** One measurement's share for this worker. */
export interface LoadWorkerTask {
  spec: LoadSpec;
  truth: TruthView;
}

const { remote, data } = workerData as LoadWorkerInit;
const client = new DataPlaneClient(remote);

parentPort!.on('message', (task: LoadWorkerTask) => {
  runLoop(task.spec, data, task.truth, client).then(
    (result) => parentPort!.postMessage({ ok: true, result }, [result.samples.buffer as ArrayBuffer]),
    (err: unknown) => parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
