/**
 * A worker_threads pool for lab runs: each task is `{workload, params}`, run by
 * name through the registry in a worker thread, so independent simulations use
 * every core. Results come back in task order whatever order they finish in.
 *
 * Failures stay per task: a workload that throws yields `{ok: false, error}` for
 * that task and the others go on; a worker that dies (process.exit, a fatal
 * error) fails only the task it was running and is replaced. Only a worker that
 * cannot even start (the registry does not load) fails the remaining tasks.
 *
 * Results cross the thread boundary by structured clone: they arrive as plain
 * data (no class instances); a result that cannot be cloned is sent as JSON.
 *
 * Worker entry: from the compiled dist/ the worker is `parallel-worker.js`
 * next to this file. From TypeScript sources (tsx, vitest) a worker thread does
 * not inherit the TS loader, so `parallel-boot.mjs` registers tsx in the
 * worker first and then imports `parallel-worker.ts`.
 *
 * Must not: read the clock (timing is the CLI's business) or print to stdout
 * (worker stdout is forwarded to stderr, so `--json` output stays one object).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WorkloadResult } from './workloads/def.js';

export interface LabTask {
  workload: string;
  params: Record<string, unknown>;
}

export type Row = Record<string, string | number | boolean | null>;

export type TaskOutcome =
  | { ok: true; result: WorkloadResult; row: Row }
  | { ok: false; error: string; /** the worker died while running it */ crashed?: boolean };

export interface PoolOptions {
  /** Worker threads: default min(os.availableParallelism(), tasks); 1 forces one worker; 0 runs in this thread. */
  workers?: number;
  /** Module (URL or path) exporting `WORKLOADS` (default: the lab registry). */
  registry?: string | URL;
  /** Called as each task finishes (in completion order). */
  onDone?(index: number, outcome: TaskOutcome, done: number, total: number): void;
  /** Progress messages from a running workload. */
  onProgress?(index: number, msg: string): void;
}

/** Messages main → worker and worker → main. */
export interface WorkerRequest {
  id: number;
  workload: string;
  params: Record<string, unknown>;
}
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'progress'; id: number; msg: string }
  | { type: 'done'; id: number; ok: true; result: WorkloadResult; row: Row }
  | { type: 'done'; id: number; ok: false; error: string };

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const EXT = FROM_SOURCE ? '.ts' : '.js';

/** The default registry module, next to this file (registry.ts from sources, registry.js in dist). */
export const DEFAULT_REGISTRY = new URL(`./registry${EXT}`, import.meta.url).href;

function registryHref(r: string | URL | undefined): string {
  if (r === undefined) return DEFAULT_REGISTRY;
  if (r instanceof URL) return r.href;
  return /^[a-z]+:/i.test(r) ? r : new URL(`file://${r.startsWith('/') ? '' : '/'}${r}`).href;
}

/** How many workers a run of `tasks` tasks uses. */
export function poolSize(tasks: number, workers?: number): number {
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 0)) {
    throw new RangeError(`workers must be a non-negative integer; got ${String(workers)}`);
  }
  if (workers === 0 || tasks === 0) return 0;
  return Math.min(workers ?? availableParallelism(), tasks);
}

function spawnWorker(registry: string): Worker {
  const opts = { workerData: { registry }, stdout: true };
  if (FROM_SOURCE) {
    const entry = new URL('./parallel-worker.ts', import.meta.url).href;
    return new Worker(new URL('./parallel-boot.mjs', import.meta.url), { ...opts, workerData: { registry, entry } });
  }
  return new Worker(new URL('./parallel-worker.js', import.meta.url), opts);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Run every task; the returned outcomes are in task order. Never rejects for a task's failure. */
export async function runTasks(tasks: readonly LabTask[], opts: PoolOptions = {}): Promise<TaskOutcome[]> {
  const size = poolSize(tasks.length, opts.workers);
  const registry = registryHref(opts.registry);
  if (size === 0) return runInThread(tasks, registry, opts);

  const outcomes: (TaskOutcome | undefined)[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  let startupError: string | undefined;

  const finish = (i: number, o: TaskOutcome) => {
    if (outcomes[i] !== undefined) return;
    outcomes[i] = o;
    done++;
    opts.onDone?.(i, o, done, tasks.length);
  };

  await new Promise<void>((resolveAll) => {
    let live = 0;
    const maybeEnd = () => {
      if (done === tasks.length && live === 0) resolveAll();
    };

    const start = () => {
      live++;
      const w = spawnWorker(registry);
      w.stdout.pipe(process.stderr, { end: false });
      let current = -1;
      let ready = false;
      let lastError: string | undefined;

      const dispatch = () => {
        while (next < tasks.length) {
          current = next++;
          const t = tasks[current]!;
          const req: WorkerRequest = { id: current, workload: t.workload, params: t.params };
          try {
            w.postMessage(req);
            return;
          } catch (e) {
            // Parameters that cannot cross to a thread (a function, say) fail that task only.
            finish(current, { ok: false, error: `parameters cannot be sent to a worker thread: ${message(e)}` });
          }
        }
        current = -1;
        void w.terminate();
      };

      w.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          ready = true;
          dispatch();
        } else if (m.type === 'progress') {
          opts.onProgress?.(m.id, m.msg);
        } else if (m.type === 'done' && m.id === current) {
          finish(current, m.ok ? { ok: true, result: m.result, row: m.row } : { ok: false, error: m.error });
          dispatch();
        }
      });
      w.on('error', (e) => {
        lastError = message(e);
      });
      w.on('exit', (code) => {
        live--;
        if (!ready) {
          // The worker could not load the registry: another one would fail the same way.
          startupError ??= `lab worker failed to start: ${lastError ?? `exit code ${code}`}`;
          while (next < tasks.length) finish(next++, { ok: false, error: startupError });
        } else if (current >= 0) {
          const t = tasks[current]!;
          finish(current, { ok: false, crashed: true, error: `worker died running ${t.workload}: ${lastError ?? `exit code ${code}`}` });
          current = -1;
          if (next < tasks.length) start(); // replace it
        }
        maybeEnd();
      });
    };

    for (let i = 0; i < size; i++) start();
  });
  return outcomes as TaskOutcome[];
}

interface RegistryModule {
  WORKLOADS: Record<string, { run(p: Record<string, unknown>, h?: { onProgress?(m: string): void }): Promise<WorkloadResult>; toRow(r: WorkloadResult): Row }>;
}

/** `workers: 0`: the same contract, one task after another in this thread (debugging, profiling). */
async function runInThread(tasks: readonly LabTask[], registry: string, opts: PoolOptions): Promise<TaskOutcome[]> {
  const out: TaskOutcome[] = [];
  let reg: RegistryModule | undefined;
  let loadError: string | undefined;
  try {
    reg = (await import(registry)) as RegistryModule;
  } catch (e) {
    loadError = `lab registry failed to load: ${message(e)}`;
  }
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!;
    let o: TaskOutcome;
    if (reg === undefined) o = { ok: false, error: loadError! };
    else {
      try {
        o = await runOne(reg, t, (msg) => opts.onProgress?.(i, msg));
      } catch (e) {
        o = { ok: false, error: message(e) };
      }
    }
    out.push(o);
    opts.onDone?.(i, o, i + 1, tasks.length);
  }
  return out;
}

/** Run one task against a loaded registry (shared by the worker and the in-thread mode). */
export async function runOne(reg: RegistryModule, t: LabTask, onProgress?: (msg: string) => void): Promise<TaskOutcome> {
  const w = Object.hasOwn(reg.WORKLOADS, t.workload) ? reg.WORKLOADS[t.workload] : undefined;
  if (w === undefined) return { ok: false, error: `unknown workload ${JSON.stringify(t.workload)}; accepted: ${Object.keys(reg.WORKLOADS).join(', ')}` };
  const result = await w.run(t.params, onProgress ? { onProgress } : {});
  return { ok: true, result, row: w.toRow(result) };
}

/** The first failure among outcomes as an Error naming the task, or undefined. */
export function firstFailure(tasks: readonly LabTask[], outcomes: readonly TaskOutcome[]): Error | undefined {
  const failed = outcomes.map((o, i) => [o, i] as const).filter(([o]) => !o.ok);
  if (failed.length === 0) return undefined;
  const [o, i] = failed[0]!;
  const t = tasks[i]!;
  return new Error(`${failed.length} of ${tasks.length} lab runs failed; first: task ${i} (${t.workload} ${JSON.stringify(t.params)}): ${(o as { error: string }).error}`);
}

/**
 * A `runMany` for runSeed: all tasks on the pool, results in task order; rejects
 * (after every task has finished) if any task failed, naming the first one.
 */
export function poolRunMany(opts: PoolOptions = {}): (tasks: LabTask[]) => Promise<unknown[]> {
  return async (tasks) => {
    const outcomes = await runTasks(tasks, opts);
    const err = firstFailure(tasks, outcomes);
    if (err) throw err;
    return outcomes.map((o) => (o as { result: WorkloadResult }).result);
  };
}
