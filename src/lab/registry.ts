/**
 * The lab's registry: the workloads by name, the common parameters with their
 * defaults and validation, and `runSeed` (both seed experiments). The CLI
 * (src/cli/commands/lab.ts) and the sweep runner use only this module.
 *
 * Owns: the name → workload table and the seed command's composition.
 */
import { chatroom } from './workloads/chatroom.js';
import { bulk } from './workloads/bulk.js';
import { rr } from './workloads/rr.js';
import type { WorkloadDef } from './workloads/def.js';
import type { LabReport } from './types.js';
import { runSeedExperiments, type SeedOptions } from './experiments/seed.js';

export type { ParamDef, ParamType } from './params.js';
export { COMMON_PARAM_DEFS, DEFAULT_PARAMS, validateParams, resolveParams, parseParam } from './params.js';
export type { WorkloadDef, WorkloadName, WorkloadResult, RunHooks } from './workloads/def.js';
export type { SeedOptions, SeedTask } from './experiments/seed.js';

export const WORKLOADS: Record<string, WorkloadDef> = { chatroom, bulk, rr };

/** The workload named `name`, or an Error naming the accepted ones. */
export function workload(name: string): WorkloadDef {
  const w = Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
  if (w === undefined) throw new RangeError(`unknown workload ${JSON.stringify(name)}; accepted: ${Object.keys(WORKLOADS).join(', ')}`);
  return w;
}

/**
 * `lab seed`: the Kleen and Johnson experiments (src/lab/experiments). With
 * `runMany` the caller runs the simulations (e.g. on a worker_threads pool);
 * by default they run one after another in this thread.
 */
export function runSeed(opts: SeedOptions = {}): Promise<LabReport> {
  return runSeedExperiments(opts);
}
