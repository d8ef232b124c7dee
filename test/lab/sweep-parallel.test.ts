import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { poolRunMany, poolSize, runTasks, type TaskOutcome } from '../../src/lab/parallel.js';

const FAKE = new URL('./fixtures/fake-registry.ts', import.meta.url);
const BROKEN = new URL('./fixtures/broken-registry.ts', import.meta.url);
const sq = (x: number, mode = 'ok') => ({ workload: 'square', params: { x, mode } });

const ok = (o: TaskOutcome) => {
  if (!o.ok) throw new Error(`expected success, got ${o.error}`);
  return o;
};

describe('worker pool (src/lab/parallel.ts)', () => {
  it('returns_results_in_task_order_from_several_worker_threads', async () => {
    const tasks = [5, 1, 4, 2, 3, 6].map((x) => sq(x));
    const done: number[] = [];
    const progress: string[] = [];
    const out = await runTasks(tasks, { registry: FAKE, workers: 2, onDone: (i, _o, n, total) => { done.push(i); expect(total).toBe(6); expect(n).toBe(done.length); }, onProgress: (_i, m) => progress.push(m) });
    expect(out.map((o) => ok(o).result['value'])).toEqual([25, 1, 16, 4, 9, 36]);
    expect(out.map((o) => ok(o).row)).toEqual([5, 1, 4, 2, 3, 6].map((x) => ({ x, value: x * x })));
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(progress.sort()).toEqual(['square 1', 'square 2', 'square 3', 'square 4', 'square 5', 'square 6']);
    // ran off the main thread (threadId 0)
    expect(out.every((o) => ok(o).result['threadId'] !== 0)).toBe(true);
    // Maps survive the structured clone
    expect(ok(out[0]!).result['big']).toEqual(new Map([['k', 1]]));
  });

  it('two_workers_run_two_tasks_at_the_same_time', async () => {
    // Each 'meet' task waits (Atomics.wait, bounded) until both have arrived: only concurrent runs pass.
    const shared = new Int32Array(new SharedArrayBuffer(4));
    const meet = (x: number) => ({ workload: 'square', params: { x, mode: 'meet', shared } });
    const out = await runTasks([meet(1), meet(2)], { registry: FAKE, workers: 2 });
    expect(out.map((o) => ok(o).result['met'])).toEqual([true, true]);
    expect(new Set(out.map((o) => ok(o).result['threadId'])).size).toBe(2);
  });

  it('a_throwing_task_fails_alone_and_the_others_complete', async () => {
    const out = await runTasks([sq(1), sq(2, 'throw'), sq(3)], { registry: FAKE, workers: 1 });
    expect(ok(out[0]!).result['value']).toBe(1);
    expect(out[1]).toEqual({ ok: false, error: 'x=2 is not welcome' });
    expect(ok(out[2]!).result['value']).toBe(9);
  });

  it('a_crashed_worker_fails_its_task_and_is_replaced', async () => {
    const out = await runTasks([sq(1), sq(2, 'exit'), sq(3), sq(4, 'exit'), sq(5)], { registry: FAKE, workers: 1 });
    expect(out.map((o) => o.ok)).toEqual([true, false, true, false, true]);
    expect(out[1]).toMatchObject({ ok: false, crashed: true });
    expect((out[1] as { error: string }).error).toMatch(/worker died running square: exit code 7/);
    expect(ok(out[4]!).result['value']).toBe(25);
  });

  it('parameters_that_cannot_be_cloned_fail_only_their_task', async () => {
    const out = await runTasks([{ workload: 'square', params: { x: 1, f: () => 1 } }, sq(2)], { registry: FAKE, workers: 1 });
    expect(out[0]).toMatchObject({ ok: false, error: expect.stringMatching(/cannot be sent to a worker thread/) });
    expect(ok(out[1]!).result['value']).toBe(4);
  });

  it('an_unknown_workload_is_a_per_task_error_naming_the_accepted_ones', async () => {
    const out = await runTasks([{ workload: 'nope', params: {} }, sq(2)], { registry: FAKE, workers: 1 });
    expect(out[0]).toEqual({ ok: false, error: 'unknown workload "nope"; accepted: square' });
    expect(out[1]!.ok).toBe(true);
  });

  it('a_registry_that_cannot_load_fails_every_task_without_respawning', async () => {
    const out = await runTasks([sq(1), sq(2), sq(3)], { registry: BROKEN, workers: 2 });
    expect(out).toHaveLength(3);
    for (const o of out) expect(o).toMatchObject({ ok: false, error: expect.stringMatching(/failed to start: broken registry for tests/) });
  });

  it('workers_0_runs_in_this_thread_with_the_same_contract', async () => {
    const out = await runTasks([sq(3), sq(4, 'throw')], { registry: FAKE, workers: 0 });
    expect(ok(out[0]!).result['threadId']).toBe(0);
    expect(out[1]).toEqual({ ok: false, error: 'x=4 is not welcome' });
  });

  it('the_real_registry_gives_the_same_rows_on_workers_as_in_this_thread (determinism)', async () => {
    const tasks = [1, 2].map((rooms) => ({ workload: 'chatroom', params: { rooms, users: 3, msgs: 4, seed: 5 } }));
    const pooled = await runTasks(tasks, { workers: 2 });
    const inThread = await runTasks(tasks, { workers: 0 });
    expect(pooled.map((o) => ok(o).row)).toEqual(inThread.map((o) => ok(o).row));
    expect(pooled.map((o) => ok(o).row['messagesReceived'])).toEqual([24, 48]);
  });

  it('pool size is min(cores, tasks) unless forced', () => {
    expect(poolSize(1)).toBe(1);
    expect(poolSize(0)).toBe(0);
    expect(poolSize(100, 1)).toBe(1);
    expect(poolSize(3, 8)).toBe(3);
    expect(() => poolSize(3, -1)).toThrow(/workers must be a non-negative integer; got -1/);
  });

  it('poolRunMany_rejects_naming_the_first_failed_task_after_all_finish', async () => {
    const many = poolRunMany({ registry: FAKE, workers: 1 });
    expect(await many([sq(2), sq(3)])).toMatchObject([{ value: 4 }, { value: 9 }]);
    await expect(many([sq(2), sq(3, 'throw')])).rejects.toThrow(/1 of 2 lab runs failed; first: task 1 \(square .*x=3 is not welcome/);
  });
});

describe('worker pool from compiled JavaScript (the dist/ layout, no TS loader)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('starts_parallel-worker.js_next_to_parallel.js_under_plain_node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zs-pool-js-'));
    dirs.push(dir);
    for (const name of ['parallel', 'parallel-worker']) {
      const src = await readFile(new URL(`../../src/lab/${name}.ts`, import.meta.url), 'utf8');
      const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
      await writeFile(join(dir, `${name}.js`), js);
    }
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(
      join(dir, 'registry.js'),
      `import { threadId } from 'node:worker_threads';
       export const WORKLOADS = { cube: { async run(p) { return { workload: 'cube', transport: 'sim', params: p, value: p.x ** 3, threadId }; }, toRow(r) { return { value: r.value }; } } };`,
    );
    await writeFile(
      join(dir, 'main.js'),
      `import { runTasks } from './parallel.js';
       const out = await runTasks([{ workload: 'cube', params: { x: 2 } }, { workload: 'cube', params: { x: 3 } }], { workers: 2 });
       console.log(JSON.stringify(out.map((o) => [o.ok, o.row, o.result.threadId > 0])));`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'main.js')], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual([
      [true, { value: 8 }, true],
      [true, { value: 27 }, true],
    ]);
  });
});
