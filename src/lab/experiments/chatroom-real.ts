/**
 * Real-time chatroom comparison: the same chat benchmark on zerostack
 * in-process and on the kernel's loopback through node:net, run one after the
 * other in this process, in one table with their ratio (issue G "Done when":
 * target zerostack ≥ 1.5× kernel). Wall-clock figures: not deterministic, so
 * it is not part of the same-seed ⇒ same-report guarantee.
 *
 * Owns: the comparison's runs (alternating, median of `rounds`) and its report.
 */
import { runChatroom, type ChatroomResult } from '../workloads/chatroom.js';
import type { ExperimentReport } from '../types.js';

export interface ChatroomRealOptions {
  rooms?: number;
  msgs?: number;
  /** Runs per transport, alternating kernel / zerostack (default 3); the median counts. */
  rounds?: number;
  onProgress?(msg: string): void;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]!;
};

export async function chatroomRealReport(opts: ChatroomRealOptions = {}): Promise<ExperimentReport> {
  const rooms = opts.rooms ?? 10;
  const msgs = opts.msgs ?? 100;
  const rounds = opts.rounds ?? 3;
  const runs: Record<'kernel' | 'zerostack', ChatroomResult[]> = { kernel: [], zerostack: [] };
  // A small warm-up of each (JIT), not reported.
  for (const t of ['kernel', 'zerostack'] as const) await runChatroom({ transport: t, rooms: 1, msgs: 10 });
  for (let i = 0; i < rounds; i++) {
    for (const t of ['kernel', 'zerostack'] as const) {
      const r = await runChatroom({ transport: t, rooms, msgs });
      opts.onProgress?.(`chatroom real ${t} round ${i + 1}/${rounds}: ${r.messagesPerSecond} msg/s`);
      runs[t].push(r);
    }
  }
  const row = (t: 'kernel' | 'zerostack') => {
    const rs = runs[t];
    const mps = median(rs.map((r) => r.messagesPerSecond));
    const rep = rs.find((r) => r.messagesPerSecond === mps) ?? rs[0]!;
    return {
      transport: t,
      messagesPerSecond: mps,
      minMessagesPerSecond: Math.min(...rs.map((r) => r.messagesPerSecond)),
      maxMessagesPerSecond: Math.max(...rs.map((r) => r.messagesPerSecond)),
      latencyP50Us: rep.latencyUs.p50,
      latencyP99Us: rep.latencyUs.p99,
      messages: rep.messagesReceived,
      violations: rs.reduce((a, r) => a + r.violations.total, 0),
    };
  };
  const k = row('kernel');
  const z = row('zerostack');
  const ratio = k.messagesPerSecond > 0 ? Math.round((z.messagesPerSecond / k.messagesPerSecond) * 100) / 100 : 0;
  const rows = [
    { ...k, ratio: 1 },
    { ...z, ratio },
  ];
  const verdict = ratio >= 1.5 ? 'meets' : 'misses';
  return {
    id: 'chatroom-real',
    title: `Chatroom in real time: zerostack in-process vs kernel loopback (${rooms} rooms × 20 users × ${msgs} msgs)`,
    table: {
      columns: [
        { key: 'transport', label: 'transport' },
        { key: 'messagesPerSecond', label: 'messages/s (median)', unit: '1/s' },
        { key: 'minMessagesPerSecond', label: 'min', unit: '1/s' },
        { key: 'maxMessagesPerSecond', label: 'max', unit: '1/s' },
        { key: 'ratio', label: 'ratio to kernel' },
        { key: 'latencyP50Us', label: 'latency p50', unit: 'µs' },
        { key: 'latencyP99Us', label: 'latency p99', unit: 'µs' },
        { key: 'violations', label: 'delivery violations' },
      ],
      rows,
    },
    finding: `zerostack in-process delivers ${z.messagesPerSecond} msg/s vs ${k.messagesPerSecond} on kernel loopback (median of ${rounds}): ${ratio}×, which ${verdict} the 1.5× target; delivery violations ${k.violations + z.violations}.`,
    charts: [
      {
        id: 'chatroom-real',
        title: 'Chatroom messages/s, real time',
        mark: 'bar',
        data: rows,
        x: { field: 'transport', title: 'transport', type: 'nominal' },
        y: { field: 'messagesPerSecond', title: 'messages per second', type: 'quantitative' },
      },
    ],
    extra: { rounds, runs: { kernel: runs.kernel.map((r) => r.messagesPerSecond), zerostack: runs.zerostack.map((r) => r.messagesPerSecond) } },
  };
}
