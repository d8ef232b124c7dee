/**
 * `zerostack lab …`: run a workload (chatroom, bulk, rr), the seed experiments
 * (seed) or a parameter sweep (sweep <workload>), print compact tables or one
 * JSON object (`--json`; progress always goes to stderr), and write a report
 * folder (`--out DIR`; `lab seed` writes one by default).
 *
 * Owns: the command-line surface and wall-clock timing. The lab itself
 * (src/lab) stays clock-free: wall time is measured here and passed in.
 */
import { resolve } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { COMMON_PARAM_DEFS, runSeed, WORKLOADS, type ParamDef, type WorkloadDef } from '../../lab/registry.js';
import { firstFailure, poolSize, runTasks, type LabTask, type TaskOutcome } from '../../lab/parallel.js';
import { HEADLINES, showValue, sweepJsonLines, sweepReport, sweepTasks, type SweepAxis } from '../../lab/sweep.js';
import { formatNumber, singleRunReport, tableToCsv, toJson, writeReport } from '../../lab/report/index.js';
import type { LabReport } from '../../lab/types.js';
import { intOption } from '../options.js';
import { paramOption, paramsFromOptions, parseSweepParam, optionName } from '../lab/params.js';
import { Progress } from '../lab/progress.js';
import { experimentLines, keyValueLines } from '../lab/print.js';

interface OutputOptions {
  json?: boolean;
  out?: string;
  jobs?: number;
}

const jobsOption = () => new Option('--jobs <n>', 'worker threads (default: one per CPU core, at most one per run; 0 = run in this thread)').argParser(intOption('--jobs'));

function addParamOptions(cmd: Command, defs: readonly ParamDef[]): Command {
  for (const d of defs) cmd.addOption(paramOption(d));
  return cmd;
}

/** Print one JSON object on stdout (the only thing `--json` writes there). */
function printJson(obj: unknown): void {
  process.stdout.write(toJson(obj) + '\n');
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** Errors from running (not from parsing options) end the command with the message, exit code 1. */
function fail(cmd: Command, e: unknown): never {
  cmd.error(`error: ${e instanceof Error ? e.message : String(e)}`, { exitCode: 1, code: 'zerostack.lab' });
}

// ---- lab chatroom | bulk | rr ------------------------------------------------

const WORKLOAD_EXAMPLES: Record<string, string[]> = {
  chatroom: ['zerostack lab chatroom --rooms 2 --msgs 20', 'zerostack lab chatroom --transport kernel --json', 'zerostack lab chatroom --era 2002 --rx-path prequeue --load 2 --out report/'],
  bulk: ['zerostack lab bulk --link-rate 10Gbit --duration 20ms', 'zerostack lab bulk --copy zerocopy --csum none --era 2002 --json', 'zerostack lab bulk --transport zerostack --bytes 64MiB'],
  rr: ['zerostack lab rr --duration 20ms --json', 'zerostack lab rr --era 2002 --rx-path prequeue --load 1', 'zerostack lab rr --transport kernel --transactions 10000'],
};

function registerWorkload(lab: Command, w: WorkloadDef): void {
  const cmd = lab.command(w.name).description(w.description);
  addParamOptions(cmd, COMMON_PARAM_DEFS);
  addParamOptions(cmd, w.params);
  cmd.option('--json', 'print one JSON object on stdout (progress goes to stderr)');
  cmd.option('--out <dir>', 'write a report folder (results.json, CSV, SVG/PNG charts, index.html)');
  cmd.addHelpText('after', `\nExamples:\n${WORKLOAD_EXAMPLES[w.name]!.map((e) => `  $ ${e}`).join('\n')}\n`);
  cmd.action(async (opts: Record<string, unknown> & OutputOptions) => {
    const params = paramsFromOptions(opts, [...COMMON_PARAM_DEFS, ...w.params]);
    const progress = new Progress({ label: w.name });
    const t0 = performance.now();
    let result;
    try {
      result = await w.run(params, { onProgress: (m) => progress.log(m) });
    } catch (e) {
      fail(cmd, e);
    }
    progress.finish();
    const wallSeconds = seconds(performance.now() - t0);
    const row = w.toRow(result);
    const report = singleRunReport(result, row);
    report.wallSeconds = wallSeconds;
    if (report.simEvents !== undefined && wallSeconds > 0) report.simEventsPerSecond = Math.round(report.simEvents / wallSeconds);
    let reportDir: string | undefined;
    if (opts.out !== undefined) {
      reportDir = resolve(opts.out);
      await writeReport(reportDir, report, [result]).catch((e: unknown) => fail(cmd, e));
    }
    const h = HEADLINES[w.name]!;
    if (opts.json) {
      printJson({ ...result, [h.field]: result[h.field] ?? null, row, finding: report.experiments[0]!.finding, wallSeconds, ...(report.simEventsPerSecond !== undefined ? { simEventsPerSecond: report.simEventsPerSecond } : {}), ...(reportDir ? { reportDir } : {}) });
      return;
    }
    const paramKeys = new Set(Object.keys(result.params));
    // Figures only (the parameters are summarised below); nulls are figures this transport does not measure.
    const figures = Object.entries(row).filter(([k, v]) => !paramKeys.has(k) && k !== 'workload' && v !== null);
    const lines = [`${w.name} over ${result.transport}: ${typeof result[h.field] === 'number' ? `${formatNumber(result[h.field] as number)} ${h.unit}` : '(no headline)'}`];
    lines.push(...keyValueLines(figures.map(([k, v]) => [k, typeof v === 'number' ? formatNumber(v) : String(v)])));
    const changed = Object.entries(params).map(([k, v]) => `${optionName(findDef(w, k))}=${showValue(findDef(w, k), v)}`);
    if (changed.length) lines.push(`  (options: ${changed.join(' ')})`);
    lines.push(`finding: ${report.experiments[0]!.finding}`);
    lines.push(`wall clock ${wallSeconds.toFixed(2)} s${report.simEventsPerSecond ? `, ${formatNumber(report.simEventsPerSecond)} simulated events/s` : ''}`);
    if (reportDir) lines.push(`report: ${reportDir}/index.html`);
    console.log(lines.join('\n'));
  });
}

function findDef(w: WorkloadDef, name: string): ParamDef {
  return [...COMMON_PARAM_DEFS, ...w.params].find((d) => d.name === name)!;
}

// ---- lab seed ----------------------------------------------------------------

/** A runMany for runSeed on the worker pool, with progress and the wall time spent in simulations. */
function seedRunner(jobs: number | undefined, progress: Progress, timing: { simMs: number; workers: number }) {
  return async (tasks: LabTask[]): Promise<unknown[]> => {
    const t0 = performance.now();
    timing.workers = poolSize(tasks.length, jobs);
    progress.start(tasks.length);
    const outcomes = await runTasks(tasks, {
      ...(jobs !== undefined ? { workers: jobs } : {}),
      onDone: (i, o, done) => progress.update(done, `${tasks[i]!.workload} #${i}${o.ok ? '' : ` FAILED: ${o.error}`}`),
    });
    timing.simMs += performance.now() - t0;
    const err = firstFailure(tasks, outcomes);
    if (err) throw err;
    return outcomes.map((o) => (o as Extract<TaskOutcome, { ok: true }>).result);
  };
}

function registerSeed(lab: Command): void {
  const cmd = lab
    .command('seed')
    .description('run the two seed experiments (Kleen: rx paths and ACK delay; Johnson: copy cost vs link rate) and write a report')
    .option('--seed <n>', 'seed of the simulated runs', intOption('--seed'), 1)
    .option('--out <dir>', 'report folder (default: lab-report/seed-<seed>)')
    .option('--quick', 'smaller runs (smoke test)')
    .option('--no-real', 'skip the real-time chatroom comparison (zerostack in-process vs kernel)')
    .option('--json', 'print one JSON object on stdout (progress goes to stderr)')
    .addOption(jobsOption());
  cmd.addHelpText('after', '\nExamples:\n  $ zerostack lab seed\n  $ zerostack lab seed --seed 7 --out /tmp/seed7\n  $ zerostack lab seed --quick --no-real --json\n');
  cmd.action(async (opts: OutputOptions & { seed: number; quick?: boolean; real: boolean }) => {
    const progress = new Progress({ label: 'seed' });
    const timing = { simMs: 0, workers: 0 };
    const t0 = performance.now();
    let report: LabReport;
    try {
      report = await runSeed({ seed: opts.seed, quick: opts.quick === true, real: opts.real, onProgress: (m) => progress.log(m), runMany: seedRunner(opts.jobs, progress, timing) });
    } catch (e) {
      progress.finish();
      fail(cmd, e);
    }
    progress.finish();
    report.wallSeconds = seconds(performance.now() - t0);
    const simSeconds = timing.simMs / 1000;
    // Events per wall-clock second of the simulated part (all workers together); the real-time part is excluded.
    if (report.simEvents !== undefined && simSeconds > 0) report.simEventsPerSecond = Math.round(report.simEvents / simSeconds);
    const reportDir = resolve(opts.out ?? `lab-report/seed-${opts.seed}`);
    await writeReport(reportDir, report).catch((e: unknown) => fail(cmd, e));
    if (opts.json) {
      printJson({
        command: report.command,
        seed: report.seed ?? opts.seed,
        wallSeconds: report.wallSeconds,
        simWallSeconds: seconds(timing.simMs),
        simEvents: report.simEvents ?? null,
        simEventsPerSecond: report.simEventsPerSecond ?? null,
        workers: timing.workers,
        reportDir,
        experiments: report.experiments.map((e) => ({ id: e.id, title: e.title, finding: e.finding, columns: e.table.columns, rows: e.table.rows })),
      });
      return;
    }
    const lines: string[] = [];
    for (const e of report.experiments) lines.push(...experimentLines(e));
    lines.push(
      `simulated: ${formatNumber(report.simEvents ?? 0)} events in ${simSeconds.toFixed(1)} s wall clock on ${timing.workers} worker(s) = ${formatNumber(report.simEventsPerSecond ?? 0)} events/s`,
      `total wall clock ${report.wallSeconds.toFixed(1)} s`,
      `report: ${reportDir}/index.html`,
    );
    console.log(lines.join('\n'));
  });
}

// ---- lab sweep <workload> ------------------------------------------------------

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

async function writeText(file: string, text: string): Promise<string> {
  const p = resolve(file);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, text);
  return p;
}

function registerSweepOf(sweep: Command, w: WorkloadDef): void {
  const defs = [...COMMON_PARAM_DEFS, ...w.params];
  const cmd: Command = sweep.command(w.name).description(`sweep ${w.name} over a grid of parameters`);
  cmd.option('--param <name=v1,v2,...>', `a swept parameter and its values (repeatable; the grid is every combination); names: ${defs.map(optionName).join(', ')}`, collect);
  addParamOptions(cmd, defs);
  cmd.option('--json', 'print one JSON object on stdout (progress goes to stderr)');
  cmd.option('--out <dir>', 'write a report folder (results.json, sweep.jsonl, CSV, chart of the headline vs the first parameter, index.html)');
  cmd.option('--jsonl <file>', 'write one JSON line per run');
  cmd.option('--csv <file>', 'write the table as CSV');
  cmd.addOption(jobsOption());
  const first = w.params[0] ? optionName(w.params[0]) : 'seed';
  cmd.addHelpText('after', `\nExamples:\n  $ zerostack lab sweep ${w.name} --param ${first}=1,2,4 --param era=2002,2025 --out sweep-${w.name}/\n  $ zerostack lab sweep ${w.name} --param seed=1,2,3 --jsonl runs.jsonl --csv runs.csv --json\n`);
  cmd.action(async (opts: Record<string, unknown> & OutputOptions & { param?: string[]; jsonl?: string; csv?: string }) => {
    if (!opts.param || opts.param.length === 0) cmd.error(`error: give at least one --param name=v1,v2,… (names: ${defs.map(optionName).join(', ')})`);
    let axes: SweepAxis[];
    let tasks: LabTask[];
    const base = paramsFromOptions(opts, defs);
    try {
      axes = opts.param.map((p) => parseSweepParam(p, defs, w.name));
      for (const a of axes) {
        if (base[a.def.name] !== undefined) throw new InvalidArgumentError(`--${a.label} and --param ${a.label} both given; keep one`);
      }
      tasks = sweepTasks(w.name, base, axes);
    } catch (e) {
      cmd.error(`error: ${(e as Error).message}`);
    }
    const progress = new Progress({ label: `sweep ${w.name}` });
    const t0 = performance.now();
    progress.start(tasks.length);
    const outcomes = await runTasks(tasks, {
      ...(opts.jobs !== undefined ? { workers: opts.jobs } : {}),
      onDone: (i, o, done) => {
        const point = axes.map((a) => `${a.label}=${showValue(a.def, tasks[i]!.params[a.def.name])}`).join(' ');
        progress.update(done, `${point}${o.ok ? '' : ` FAILED: ${o.error}`}`);
      },
    });
    progress.finish();
    const report = sweepReport(w.name, axes, tasks, outcomes);
    report.wallSeconds = seconds(performance.now() - t0);
    if (report.simEvents && report.wallSeconds > 0) report.simEventsPerSecond = Math.round(report.simEvents / report.wallSeconds);
    const lines = sweepJsonLines(axes, tasks, outcomes);
    const exp = report.experiments[0]!;
    const written: string[] = [];
    let reportDir: string | undefined;
    try {
      if (opts.jsonl) written.push(await writeText(opts.jsonl, lines.join('\n') + '\n'));
      if (opts.csv) written.push(await writeText(opts.csv, tableToCsv(exp.table)));
      if (opts.out) {
        reportDir = resolve(opts.out);
        await writeReport(reportDir, report);
        written.push(await writeText(resolve(reportDir, 'sweep.jsonl'), lines.join('\n') + '\n'));
      }
    } catch (e) {
      fail(cmd, e);
    }
    const failed = outcomes.filter((o) => !o.ok).length;
    if (failed > 0) process.exitCode = 1;
    if (opts.json) {
      printJson({
        command: report.command,
        workload: w.name,
        headline: HEADLINES[w.name]?.field ?? null,
        axes: axes.map((a) => ({ name: a.def.name, option: a.label, values: a.values })),
        runs: tasks.map((t, i) => {
          const o = outcomes[i]!;
          const point = Object.fromEntries(axes.map((a) => [a.def.name, t.params[a.def.name]]));
          return o.ok ? { index: i, point, ok: true, row: o.row } : { index: i, point, ok: false, error: o.error };
        }),
        failed,
        finding: exp.finding,
        wallSeconds: report.wallSeconds,
        simEventsPerSecond: report.simEventsPerSecond ?? null,
        files: written,
        ...(reportDir ? { reportDir } : {}),
      });
      return;
    }
    const out = experimentLines(exp);
    out.push(`${tasks.length} runs on ${poolSize(tasks.length, opts.jobs)} worker(s) in ${report.wallSeconds.toFixed(1)} s${failed ? `, ${failed} FAILED` : ''}`);
    for (const f of written) out.push(`wrote ${f}`);
    if (reportDir) out.push(`report: ${reportDir}/index.html`);
    console.log(out.join('\n'));
  });
}

function registerSweep(lab: Command): void {
  const names = Object.keys(WORKLOADS);
  const sweep: Command = lab
    .command('sweep')
    .description(`run a workload over a grid of parameters in parallel (worker threads); workloads: ${names.join(', ')}`)
    .argument('[workload]')
    .allowExcessArguments(true)
    .allowUnknownOption(true)
    .addHelpText(
      'after',
      '\nExamples:\n  $ zerostack lab sweep bulk --param link-rate=100Mbit,1Gbit,10Gbit --param copy=copy,zerocopy --era 2002 --out sweep-bulk/\n' +
        '  $ zerostack lab sweep chatroom --param rooms=1,2,4 --msgs 20 --jsonl runs.jsonl --csv runs.csv\n' +
        '  $ zerostack lab sweep rr --param rx-path=direct,prequeue --param load=0,1 --era 2002 --json\n',
    )
    // Reached only when no workload subcommand matched.
    .action((workload: string | undefined) => {
      if (workload === undefined) sweep.help({ error: true });
      sweep.error(`error: unknown workload ${JSON.stringify(workload)} for lab sweep; accepted: ${names.join(', ')}`);
    });
  for (const w of Object.values(WORKLOADS)) registerSweepOf(sweep, w);
}

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('the network lab: chatroom, bulk and request/response workloads, the seed experiments, sweeps, reports');
  lab.addHelpText(
    'after',
    '\nExamples:\n  $ zerostack lab seed                       # both seed experiments, report in lab-report/seed-1/\n' +
      '  $ zerostack lab chatroom --transport kernel # the chat benchmark over the kernel loopback\n' +
      '  $ zerostack lab bulk --link-rate 40Gbit --copy zerocopy --json\n' +
      '  $ zerostack lab sweep rr --param rx-path=direct,prequeue,prequeue-hwcsum --era 2002 --out rr-sweep/\n',
  );
  for (const w of Object.values(WORKLOADS)) registerWorkload(lab, w);
  registerSeed(lab);
  registerSweep(lab);
}
