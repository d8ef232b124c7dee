/**
 * The chat benchmark in real time, on either real transport (kernel `net` or
 * zerostack in-process): one event-driven driver over the StreamNet interface,
 * with the workload logic of workloads/chat-protocol.ts.
 *
 * Shape of a run: the server listens; every user connects (one connection per
 * user) and sends its join; once every room is complete the clock starts and
 * the users send their messages in rounds — one message per user per round, one
 * write per message, with an event-loop turn between rounds (and a wait for
 * drain when a connection is backed up), which is what an event-driven client
 * does instead of the original's writer threads. The server writes each
 * message to the room's 19 others, one write each. The run ends when every
 * expected message has arrived (or at the deadline, with the rest counted
 * missing).
 *
 * Owns: the real-time driving and wall-clock timing of the chatroom.
 * Must not: change the workload's semantics (those live in chat-protocol.ts).
 */
import { Distribution } from '../../host/stats.js';
import { CHAT_MAGIC, ChatFramer, ChatServerLogic, ChatVerifier, encodeMessage, JOIN_MAGIC, type ChatOutcome, type ChatShape } from '../workloads/chat-protocol.js';
import { createStreamNet, turn, type StreamConn, type StreamNet } from './stream-net.js';

export interface ChatRealOutcome extends ChatOutcome {
  counters: Record<string, number>;
  timedOut: boolean;
}

export interface ChatRealOptions {
  /** Give up after this many ms of wall time (default 120 s); undelivered messages count as missing. */
  deadlineMs?: number;
  onProgress?(msg: string): void;
}

export async function runChatroomReal(kind: 'kernel' | 'zerostack', shape: ChatShape, opts: ChatRealOptions = {}): Promise<ChatRealOutcome> {
  const net = createStreamNet(kind);
  try {
    return await drive(net, shape, opts);
  } finally {
    await net.close();
  }
}

async function drive(net: StreamNet, shape: ChatShape, opts: ChatRealOptions): Promise<ChatRealOutcome> {
  const { rooms, usersPerRoom, msgsPerUser, msgBytes } = shape;
  const users = rooms * usersPerRoom;
  const verifier = new ChatVerifier(shape);
  const latency = new Distribution('messageLatency');
  let failure: Error | null = null;
  const fail = (e: Error): void => {
    failure ??= e;
  };

  // --- server ---
  let onAllJoined: (() => void) | null = null;
  const logic = new ChatServerLogic<StreamConn>(shape, (to, b, off) => {
    to.write(b, off, msgBytes);
  });
  const port = await net.listen((c) => {
    const framer = new ChatFramer(msgBytes);
    const onMessage = (b: Uint8Array, off: number): void => {
      logic.onMessage(c, b, off);
      if (onAllJoined !== null && logic.allJoined) {
        const f = onAllJoined;
        onAllJoined = null;
        f();
      }
    };
    c.onData = (b, off, len) => framer.push(b, off, len, onMessage);
    c.onFailure = fail;
  });
  const allJoined = new Promise<void>((resolve) => {
    onAllJoined = resolve;
  });

  // --- clients ---
  let finished: (() => void) | null = null;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  let tLast = 0;
  const expected = verifier.expected;
  const conns: StreamConn[] = [];
  const msg = new Uint8Array(msgBytes);
  for (let u = 0; u < users; u++) {
    const c = await net.connect(port);
    const framer = new ChatFramer(msgBytes);
    const onMessage = (b: Uint8Array, off: number): void => {
      const t = verifier.onMessage(u, b, off);
      const now = net.now();
      if (t >= 0) latency.add(now - t);
      if (verifier.received >= expected && finished !== null) {
        tLast = now;
        const f = finished;
        finished = null;
        f();
      }
    };
    c.onData = (b, off, len) => framer.push(b, off, len, onMessage);
    c.onFailure = fail;
    encodeMessage(msg, 0, msgBytes, JOIN_MAGIC, Math.floor(u / usersPerRoom), u, 0, 0);
    c.write(msg, 0, msgBytes);
    conns.push(c);
  }
  await allJoined;
  opts.onProgress?.(`chatroom/${net.kind}: ${users} users connected; sending ${users * msgsPerUser} messages`);

  const t0 = net.now();
  let sent = 0;
  let deadlineHit = false;
  const deadline = setTimeout(() => {
    deadlineHit = true;
    if (finished !== null) {
      tLast = net.now();
      const f = finished;
      finished = null;
      f();
    }
  }, opts.deadlineMs ?? 120_000);
  try {
    for (let k = 0; k < msgsPerUser && !deadlineHit && failure === null; k++) {
      let backed: StreamConn | null = null;
      for (let u = 0; u < users; u++) {
        encodeMessage(msg, 0, msgBytes, CHAT_MAGIC, Math.floor(u / usersPerRoom), u, k, net.now());
        if (!conns[u]!.write(msg, 0, msgBytes)) backed = conns[u]!;
        sent++;
      }
      if (backed !== null) await waitDrain(backed);
      else await turn();
    }
    if (expected === 0) tLast = net.now();
    else await done;
  } finally {
    clearTimeout(deadline);
  }
  if (failure !== null) throw failure;
  const violations = verifier.finish();
  return {
    messagesSent: sent,
    messagesReceived: verifier.received,
    expected,
    elapsedNs: Math.max(1, tLast - t0),
    latencyNs: latency,
    violations,
    serverRejected: logic.rejected,
    counters: net.counters(),
    timedOut: deadlineHit,
  };
}

function waitDrain(c: StreamConn): Promise<void> {
  if (c.queued === 0) return turn();
  return new Promise((resolve) => {
    c.onDrain = () => {
      c.onDrain = null;
      resolve();
    };
  });
}
