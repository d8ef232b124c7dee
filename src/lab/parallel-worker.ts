/**
 * Worker-thread side of the lab pool (parallel.ts): load the registry named in
 * workerData, say 'ready', then run each requested task and post its result
 * (structured clone; JSON if the result holds something uncloneable).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runOne, type WorkerReply, type WorkerRequest } from './parallel.js';

const port = parentPort;
if (port === null) throw new Error('parallel-worker.ts must run in a worker thread (see parallel.ts)');
const { registry } = workerData as { registry: string };

type Registry = Parameters<typeof runOne>[0];

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function post(m: WorkerReply): void {
  try {
    port!.postMessage(m);
  } catch (e) {
    // DataCloneError: functions or class internals in a result; plain JSON always crosses.
    if (m.type !== 'done' || !m.ok) throw e;
    port!.postMessage(JSON.parse(JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as WorkerReply);
  }
}

// A registry that fails to load ends this thread with an 'error' event before 'ready':
// the pool then fails the remaining tasks with that message instead of respawning.
const reg = (await import(registry)) as Registry;
if (typeof reg.WORKLOADS !== 'object' || reg.WORKLOADS === null) throw new Error(`${registry} exports no WORKLOADS`);

port.on('message', (req: WorkerRequest) => {
  runOne(reg, req, (msg) => post({ type: 'progress', id: req.id, msg })).then(
    (o) => post(o.ok ? { type: 'done', id: req.id, ok: true, result: o.result, row: o.row } : { type: 'done', id: req.id, ok: false, error: o.error }),
    (e: unknown) => post({ type: 'done', id: req.id, ok: false, error: errorText(e) }),
  );
});
post({ type: 'ready' });
