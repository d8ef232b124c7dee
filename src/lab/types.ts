/**
 * The lab's shared vocabulary: the parameters every workload understands (the CLI
 * options map onto them one to one), the common part of every result, and the
 * report model that the report writer (charts, CSV, index.html) renders.
 *
 * Workloads and experiments (src/lab/workloads, src/lab/experiments) produce these;
 * the report writer (src/lab/report) and the CLI (src/cli/commands/lab.ts) consume
 * them. Extend with new optional fields; do not rename or remove fields.
 */

export type TransportKind = 'sim' | 'zerostack' | 'kernel';
export const TRANSPORTS: readonly TransportKind[] = ['sim', 'zerostack', 'kernel'];

/** TCP receive-path strategy (issue F; background/receive-path.md §2). */
export type RxPathName = 'direct' | 'prequeue' | 'prequeue-hwcsum' | 'zerocopy';
export const RX_PATHS: readonly RxPathName[] = ['direct', 'prequeue', 'prequeue-hwcsum', 'zerocopy'];

export type DelackName = 'rfc' | 'linux' | 'off';
export const DELACKS: readonly DelackName[] = ['rfc', 'linux', 'off'];

/**
 * NIC checksum capability: `none` = no offload either way (software checksums);
 * `unnecessary` = rx verified by the NIC (CHECKSUM_UNNECESSARY) + tx offload;
 * `complete` = rx sum supplied by the NIC (CHECKSUM_COMPLETE/HW) + tx offload.
 */
export type CsumMode = 'none' | 'unnecessary' | 'complete';
export const CSUM_MODES: readonly CsumMode[] = ['none', 'unnecessary', 'complete'];

/** Send-side copy mode (issue F §3). */
export type CopyMode = 'copy' | 'copy+csum' | 'zerocopy';
export const COPY_MODES: readonly CopyMode[] = ['copy', 'copy+csum', 'zerocopy'];

export type EraName = '2002' | '2025';
export const ERA_NAMES: readonly EraName[] = ['2002', '2025'];

/** Parameters common to every workload. Workload-specific ones are added by each workload. */
export interface CommonParams {
  transport: TransportKind;
  seed: number;
  rxPath: RxPathName;
  delack: DelackName;
  csum: CsumMode;
  copy: CopyMode;
  era: EraName;
  /** Link rate in bit/s (simulator). */
  linkRateBps: number;
  /** One-way propagation delay in ns (simulator). */
  delayNs: number;
  /** Loss probability 0..1 per frame (simulator). */
  loss: number;
  /** CPUs per simulated host. */
  cpus: number;
  /** Measurement duration in ns, where the workload is time-bound (bulk, rr). */
  durationNs: number;
}

/** What every workload result carries besides its own figures. */
export interface ResultBase {
  workload: string;
  transport: TransportKind;
  /** The full parameter set the run used (after defaults). */
  params: Record<string, unknown>;
  /** Simulator only: events executed and virtual seconds simulated. */
  simEvents?: number;
  virtualSeconds?: number;
}

/** A printable, CSV-able table. Values are plain numbers/strings; units live in the column. */
export interface Table {
  columns: { key: string; label: string; unit?: string }[];
  rows: Record<string, string | number | boolean | null>[];
}

export interface ChartAxis {
  field: string;
  /** Axis title including the unit, e.g. "link rate (bit/s)". */
  title: string;
  type?: 'quantitative' | 'nominal' | 'ordinal';
  /** Log scale (use when the range spans decades). */
  log?: boolean;
}

/** A chart, described independently of the plotting library (the report writer maps it to vega-lite). */
export interface ChartSpec {
  /** File-name-safe id, unique within a report. */
  id: string;
  title: string;
  mark: 'line' | 'point' | 'bar';
  data: Record<string, string | number | boolean | null>[];
  x: ChartAxis;
  y: ChartAxis;
  /** Series. */
  color?: { field: string; title: string };
  /** Small multiples, one panel per value. */
  column?: { field: string; title: string };
}

export interface ExperimentReport {
  id: string;
  title: string;
  table: Table;
  /** One line stating what the data shows, derived from the numbers (never canned). */
  finding: string;
  charts: ChartSpec[];
  /** Anything else worth keeping in the JSON (distributions, counters). */
  extra?: Record<string, unknown>;
}

export interface LabReport {
  /** e.g. "lab seed", "lab sweep bulk". */
  command: string;
  experiments: ExperimentReport[];
  /** Simulated events per wall-clock second over the whole command (simulator runs). */
  simEventsPerSecond?: number;
  wallSeconds?: number;
  /** Simulated events executed by the command's simulator runs (the CLI divides by wall time). */
  simEvents?: number;
  /** The seed the simulated runs used. */
  seed?: number;
}
