/**
 * `zerostack lab seed` glue, in process: the experiments themselves are tested
 * in test/lab/experiments.test.ts (runSeed), so here runSeed is replaced by a
 * small stand-in that runs two tiny real workloads through the runMany the CLI
 * passes (the worker pool), and the test checks what the command adds: the one
 * JSON object, simulated events per wall-clock second, the report folder it
 * names by default, the human tables, and failures.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import type { LabReport } from '../../src/lab/types.js';

const seedCalls: { seed?: number; quick?: boolean; real?: boolean }[] = [];
let failTask = false;

vi.mock('../../src/lab/registry.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/lab/registry.js')>();
  return {
    ...real,
    async runSeed(opts: { seed?: number; quick?: boolean; real?: boolean; onProgress?(m: string): void; runMany?: (t: { workload: string; params: Record<string, unknown> }[]) => Promise<unknown[]> }): Promise<LabReport> {
      seedCalls.push({ seed: opts.seed, quick: opts.quick, real: opts.real });
      opts.onProgress?.('seed: 2 tiny runs');
      const tasks = [1, 2].map((rooms) => ({ workload: 'chatroom', params: { rooms, users: 3, msgs: failTask && rooms === 2 ? 0 : 4, seed: opts.seed } }));
      const results = (await opts.runMany!(tasks)) as { messagesPerSecond: number; simEvents: number }[];
      return {
        command: 'lab seed',
        seed: opts.seed,
        simEvents: results.reduce((a, r) => a + r.simEvents, 0),
        experiments: [
          {
            id: 'tiny',
            title: 'Tiny chatrooms',
            table: { columns: [{ key: 'rooms', label: 'rooms' }, { key: 'mps', label: 'messages/s' }], rows: results.map((r, i) => ({ rooms: i + 1, mps: r.messagesPerSecond })) },
            finding: `measured ${results.length} runs`,
            charts: [{ id: 'tiny-mps', title: 'messages/s by rooms', mark: 'bar', data: results.map((r, i) => ({ rooms: String(i + 1), mps: r.messagesPerSecond })), x: { field: 'rooms', title: 'rooms' }, y: { field: 'mps', title: 'messages/s' } }],
          },
        ],
      };
    },
  };
});

const { register } = await import('../../src/cli/commands/lab.js');

let stdout = '';
let stderr = '';
const dirs: string[] = [];
const cwd = process.cwd();

beforeEach(() => {
  stdout = '';
  stderr = '';
  seedCalls.length = 0;
  failTask = false;
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += a.join(' ') + '\n'));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.chdir(cwd);
  process.exitCode = 0;
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<void> {
  const program = new Command('zerostack').exitOverride().configureOutput({ writeErr: (s) => (stderr += s), writeOut: (s) => (stdout += s) });
  register(program);
  await program.parseAsync(args, { from: 'user' });
}

describe('zerostack lab seed (CLI glue)', () => {
  it('json_is_one_object_with_experiments_rows_and_sim_events_per_second', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zs-seed-'));
    dirs.push(dir);
    await run('lab', 'seed', '--seed', '3', '--quick', '--no-real', '--json', '--jobs', '2', '--out', dir);
    expect(seedCalls).toEqual([{ seed: 3, quick: true, real: false }]);
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(j['command']).toBe('lab seed');
    expect(j['seed']).toBe(3);
    expect(j['workers']).toBe(2);
    expect(j['reportDir']).toBe(dir);
    const ex = j['experiments'] as { id: string; finding: string; rows: { rooms: number; mps: number }[] }[];
    expect(ex).toHaveLength(1);
    expect(ex[0]!.finding).toBe('measured 2 runs');
    expect(ex[0]!.rows.map((r) => r.rooms)).toEqual([1, 2]);
    expect(ex[0]!.rows.every((r) => r.mps > 0)).toBe(true);
    expect(j['simEvents']).toBeGreaterThan(0);
    // events per wall-clock second of the simulated part: simEvents / simWallSeconds (rounded)
    const rate = j['simEventsPerSecond'] as number;
    expect(rate).toBeGreaterThan(0);
    expect(Math.abs(rate - (j['simEvents'] as number) / (j['simWallSeconds'] as number)) / rate).toBeLessThan(0.01);
    expect((j['wallSeconds'] as number) >= (j['simWallSeconds'] as number)).toBe(true);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['results.json', 'tiny.csv', 'tiny-mps.svg', 'tiny-mps.png', 'index.html']));
    expect(stderr).toContain('seed: 2 tiny runs');
  });

  it('by_default_writes_the_report_to_lab-report/seed-N_and_prints_tables_and_the_path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zs-seed-cwd-'));
    dirs.push(dir);
    process.chdir(dir);
    await run('lab', 'seed', '--seed', '9', '--jobs', '0');
    expect(await readdir(join(dir, 'lab-report', 'seed-9'))).toContain('index.html');
    expect(stdout).toContain('== Tiny chatrooms');
    expect(stdout).toMatch(/rooms {2}messages\/s\n-----/);
    expect(stdout).toContain('finding: measured 2 runs');
    expect(stdout).toMatch(/simulated: \d+ events in [\d.]+ s wall clock on 0 worker\(s\) = [\d.]+k? events\/s/);
    expect(stdout).toContain(`report: ${join(dir, 'lab-report', 'seed-9')}/index.html`);
  });

  it('a_failed_simulation_ends_the_command_with_the_task_named', async () => {
    failTask = true;
    await expect(run('lab', 'seed', '--jobs', '1', '--json', '--out', join(tmpdir(), 'zs-seed-never'))).rejects.toThrow(/1 of 2 lab runs failed; first: task 1 \(chatroom .*msgs must be/);
    expect(stdout).toBe('');
  });
});
