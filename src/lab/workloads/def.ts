/**
 * What a lab workload is to the registry, the CLI and the sweep runner: a name,
 * its own parameters (besides CommonParams), `run`, and `toRow` (a flat row for
 * CSV and sweep tables).
 */
import type { CommonParams, ResultBase } from '../types.js';
import type { ParamDef } from '../params.js';

export type WorkloadName = 'chatroom' | 'bulk' | 'rr';

export interface RunHooks {
  onProgress?(msg: string): void;
}

export type WorkloadResult = ResultBase & Record<string, unknown>;

export interface WorkloadDef {
  name: WorkloadName;
  description: string;
  /** Workload-specific parameters. */
  params: ParamDef[];
  run(params: Partial<CommonParams> & Record<string, unknown>, hooks?: RunHooks): Promise<WorkloadResult>;
  /** A flat row for CSV / sweep tables. */
  toRow(result: WorkloadResult): Record<string, string | number | boolean | null>;
}
