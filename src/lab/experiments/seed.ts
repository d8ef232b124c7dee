/**
 * `lab seed`: the two seed experiments (Kleen, Johnson) in the simulator, plus
 * the real-time chatroom comparison (zerostack in-process vs kernel).
 *
 * The simulated runs are independent tasks ({workload, params}); a caller may
 * run them on a worker pool (`runMany`), otherwise they run in this thread one
 * after another. Reports are built from the plain results only, so they are
 * the same whichever way the tasks ran: same seed ⇒ same simulated report.
 *
 * Owns: composing the seed command. Budget (2-core machine): the simulated
 * part is sized to well under 60 s (see the experiment modules); `quick`
 * shrinks it further for tests.
 */
import { WORKLOAD_RUNNERS } from '../workloads/runners.js';
import type { LabReport } from '../types.js';
import { johnsonReport, johnsonTasks } from './johnson.js';
import { kleenReport, kleenTasks } from './kleen.js';
import { chatroomRealReport } from './chatroom-real.js';

export interface SeedTask {
  workload: string;
  params: Record<string, unknown>;
}

export interface SeedOptions {
  seed?: number;
  /** Smaller runs (tests, smoke checks). */
  quick?: boolean;
  onProgress?(msg: string): void;
  /** Run the simulated tasks (e.g. on worker threads); results in task order. */
  runMany?: (tasks: SeedTask[]) => Promise<unknown[]>;
  /** Include the real-time chatroom comparison (default true; not deterministic). */
  real?: boolean;
}

/** Run tasks one after another in this thread. */
export async function runTasksSequentially(tasks: SeedTask[], onProgress?: (m: string) => void): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!;
    const run = WORKLOAD_RUNNERS[t.workload];
    if (run === undefined) throw new RangeError(`unknown workload ${JSON.stringify(t.workload)}`);
    out.push(await run(t.params));
    onProgress?.(`seed: ${i + 1}/${tasks.length} ${t.workload}`);
  }
  return out;
}

export async function runSeedExperiments(opts: SeedOptions = {}): Promise<LabReport> {
  const seed = opts.seed ?? 1;
  const quick = opts.quick ?? false;
  const kt = kleenTasks(seed, quick);
  const jt = johnsonTasks(seed, quick);
  const tasks: SeedTask[] = [...kt, ...jt];
  opts.onProgress?.(`seed: ${kt.length} Kleen runs + ${jt.length} Johnson runs (simulated)`);
  const results = (opts.runMany ? await opts.runMany(tasks) : await runTasksSequentially(tasks, opts.onProgress)) as Record<string, unknown>[];
  if (results.length !== tasks.length) throw new Error(`runMany returned ${results.length} results for ${tasks.length} tasks`);
  const simEvents = results.reduce((a, r) => a + (typeof r['simEvents'] === 'number' ? r['simEvents'] : 0), 0);
  const kres = results.slice(0, kt.length);
  const jres = results.slice(kt.length);
  const experiments = [kleenReport(kres as never), johnsonReport(jres as never)];
  if (opts.real ?? true) {
    opts.onProgress?.('seed: real-time chatroom, zerostack in-process vs kernel loopback');
    experiments.push(await chatroomRealReport({ ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(quick ? { rooms: 2, msgs: 20, rounds: 1 } : { rooms: 10, msgs: 40, rounds: 3 }) }));
  }
  return { command: 'lab seed', seed, experiments, simEvents };
}
