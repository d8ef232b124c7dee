/**
 * The chat benchmark in real time: zerostack in-process vs Node's net over the
 * kernel loopback, same driver, alternating runs in one process (issue G
 * "Done when": target zerostack ≥ 1.5× kernel). Also the simulator's speed:
 * simulated events per wall-clock second of the `lab seed` simulations.
 *
 * Run: `npx tsx bench/run.ts lab-chatroom`. Env: LAB_CHAT_ROOMS (10),
 * LAB_CHAT_MSGS (100), LAB_CHAT_ROUNDS (5), LAB_SEED_SIM=1 to time the seed
 * simulations too. Profile: `node --cpu-prof --import tsx bench/run.ts lab-chatroom`.
 */
import { performance } from 'node:perf_hooks';
import { chatroomRealReport } from '../src/lab/experiments/chatroom-real.js';
import { runSeed } from '../src/lab/registry.js';
import { printTable } from './util.js';

export async function run(): Promise<void> {
  const rooms = Number(process.env.LAB_CHAT_ROOMS ?? 10);
  const msgs = Number(process.env.LAB_CHAT_MSGS ?? 100);
  const rounds = Number(process.env.LAB_CHAT_ROUNDS ?? 5);
  const rep = await chatroomRealReport({ rooms, msgs, rounds });
  printTable(
    `chatroom ${rooms} rooms × 20 users × ${msgs} msgs, median of ${rounds} (messages/s; ratio = vs kernel net)`,
    ['transport', 'msg/s', 'min', 'max', 'ratio', 'p50 µs', 'p99 µs', 'violations'],
    rep.table.rows.map((r) => [String(r['transport']), Number(r['messagesPerSecond']), Number(r['minMessagesPerSecond']), Number(r['maxMessagesPerSecond']), Number(r['ratio']), Number(r['latencyP50Us']), Number(r['latencyP99Us']), Number(r['violations'])]),
  );
  console.log(rep.finding);
  if (process.env.LAB_SEED_SIM === '1') {
    const t0 = performance.now();
    const seed = await runSeed({ real: false });
    const s = (performance.now() - t0) / 1000;
    printTable('lab seed simulations (Kleen + Johnson)', ['wall s', 'sim events', 'events/s'], [[s, seed.simEvents ?? 0, (seed.simEvents ?? 0) / s]]);
  }
}
