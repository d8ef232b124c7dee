/**
 * `chatroom`: Bill Hartner's chat benchmark (background/receive-path.md §4) on
 * any of the three transports. Rules and checks: chat-protocol.ts; drivers:
 * sim/chatroom-sim.ts (processes in virtual time) and real/chatroom-real.ts
 * (event-driven, wall clock, kernel `net` or zerostack in-process).
 *
 * Headline: `messagesPerSecond` = messages received / elapsed (the original's
 * "Average throughput"), elapsed running from the first message sent to the
 * last one received.
 */
import { runChatroomReal } from '../real/chatroom-real.js';
import { resolveParams, type ParamDef } from '../params.js';
import { runChatroomSim } from '../sim/chatroom-sim.js';
import type { CommonParams } from '../types.js';
import { MIN_MSG_BYTES, totalViolations, type ChatOutcome, type ChatViolations } from './chat-protocol.js';
import type { WorkloadDef, WorkloadResult } from './def.js';
import { ackDelaySummary, percentilesUs, resultRow, type PercentilesWithCount } from './summary.js';

export const CHATROOM_PARAMS: ParamDef[] = [
  { name: 'rooms', type: 'int', default: 10, min: 1, max: 1000, description: 'chat rooms' },
  { name: 'users', type: 'int', default: 20, min: 2, max: 1000, description: 'users per room (one TCP connection each)' },
  { name: 'msgs', type: 'int', default: 100, min: 1, max: 1_000_000, description: 'messages each user sends' },
  { name: 'msgBytes', type: 'size', default: 100, min: MIN_MSG_BYTES, max: 65536, description: 'bytes per message' },
  { name: 'load', type: 'int', default: 0, min: 0, max: 1000, description: 'sim: CPU-bound processes competing on the server host' },
  { name: 'appNs', type: 'duration', default: 0, description: 'sim: application CPU time per message handled, on both sides' },
];

export interface ChatroomResult extends WorkloadResult {
  workload: 'chatroom';
  messagesPerSecond: number;
  messagesSent: number;
  messagesReceived: number;
  expectedMessages: number;
  elapsedSeconds: number;
  latencyUs: PercentilesWithCount;
  violations: ChatViolations & { total: number };
  counters?: Record<string, unknown>;
  ackDelayUs?: PercentilesWithCount | null;
  /** sim: share of ACK delays >= TIMER_MODE_NS (30 ms): ACKs a timer released, not processing. */
  ackDelayTimerShare?: number | null;
  ackDelayHistogramUs?: { lowUs: number; highUs: number; count: number }[];
  runQueueDelayUs?: PercentilesWithCount;
  cpu?: Record<string, unknown>;
  timedOut?: boolean;
}

export async function runChatroom(input: Partial<CommonParams> & Record<string, unknown> = {}, hooks: { onProgress?(m: string): void } = {}): Promise<ChatroomResult> {
  const all = resolveParams(input, CHATROOM_PARAMS, 'chatroom');
  const p = all as unknown as CommonParams & { rooms: number; users: number; msgs: number; msgBytes: number; load: number; appNs: number };
  const shape = { rooms: p.rooms, usersPerRoom: p.users, msgsPerUser: p.msgs, msgBytes: p.msgBytes };
  const base = { workload: 'chatroom' as const, transport: p.transport, params: all };
  if (p.transport === 'sim') {
    hooks.onProgress?.(`chatroom/sim: ${p.rooms} rooms × ${p.users} users × ${p.msgs} msgs, era ${p.era}, rx ${p.rxPath}, csum ${p.csum}, load ${p.load}`);
    const r = runChatroomSim(p, { ...shape, load: p.load, appNsPerMsg: p.appNs });
    return {
      ...base,
      ...chatFigures(r),
      ...ackDelaySummary(r.ackDelayNs),
      runQueueDelayUs: percentilesUs(r.runQueueDelayNs),
      cpu: r.cpu,
      simEvents: r.simEvents,
      virtualSeconds: r.virtualNs / 1e9,
    };
  }
  const r = await runChatroomReal(p.transport, shape, hooks.onProgress ? { onProgress: hooks.onProgress } : {});
  return {
    ...base,
    ...chatFigures(r),
    timedOut: r.timedOut,
  };
}

/** The figures both transports report, from either runner's result. */
function chatFigures(r: ChatOutcome & { counters: Record<string, unknown> }): Pick<ChatroomResult, 'messagesPerSecond' | 'messagesSent' | 'messagesReceived' | 'expectedMessages' | 'elapsedSeconds' | 'latencyUs' | 'violations' | 'counters'> {
  return {
    messagesPerSecond: Math.round(r.messagesReceived / (r.elapsedNs / 1e9)),
    messagesSent: r.messagesSent,
    messagesReceived: r.messagesReceived,
    expectedMessages: r.expected,
    elapsedSeconds: r.elapsedNs / 1e9,
    latencyUs: percentilesUs(r.latencyNs),
    violations: { ...r.violations, total: totalViolations(r.violations) + r.serverRejected },
    counters: r.counters,
  };
}

export const chatroom: WorkloadDef = {
  name: 'chatroom',
  description: "Hartner's chat benchmark: rooms of users, each message echoed by the server to the room's other users; messages/s and per-message latency",
  params: CHATROOM_PARAMS,
  run: runChatroom,
  toRow(result) {
    const r = result as ChatroomResult;
    return resultRow(r, {
      messagesPerSecond: r.messagesPerSecond,
      messagesReceived: r.messagesReceived,
      elapsedSeconds: r.elapsedSeconds,
      latencyUs: r.latencyUs,
      violations: r.violations.total,
      ackDelayUs: r.ackDelayUs ?? null,
    });
  },
};
