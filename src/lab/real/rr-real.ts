/**
 * Request/response (netperf TCP_RR-like) in real time on a real transport:
 * `conns` connections, each with one transaction outstanding: the client
 * writes a request of `requestBytes`, the server answers each whole request
 * with `responseBytes`, the client times the round trip and sends the next.
 * Runs for `durationNs` of wall time or exactly `transactions` per connection.
 *
 * Owns: real-time driving and timing of rr. Framing: workloads/chat-protocol's
 * ChatFramer cuts fixed-size messages.
 */
import { Distribution } from '../../host/stats.js';
import { ChatFramer } from '../workloads/chat-protocol.js';
import { createStreamNet, type StreamConn, type StreamNet } from './stream-net.js';

export interface RrRealSpec {
  conns: number;
  requestBytes: number;
  responseBytes: number;
  /** Transactions per connection; 0 = time-bound (durationNs). */
  transactions: number;
  durationNs: number;
}

export interface RrRealOutcome {
  transactions: number;
  /** Responses whose size or order was wrong (0 in a correct run). */
  errors: number;
  elapsedNs: number;
  latencyNs: Distribution;
  counters: Record<string, number>;
}

export async function runRrReal(kind: 'kernel' | 'zerostack', spec: RrRealSpec, onProgress?: (m: string) => void): Promise<RrRealOutcome> {
  const net = createStreamNet(kind);
  try {
    return await drive(net, spec, onProgress);
  } finally {
    await net.close();
  }
}

async function drive(net: StreamNet, spec: RrRealSpec, onProgress?: (m: string) => void): Promise<RrRealOutcome> {
  const req = new Uint8Array(spec.requestBytes).fill(0x51);
  const resp = new Uint8Array(spec.responseBytes).fill(0x52);
  let failure: Error | null = null;
  const port = await net.listen((c) => {
    const framer = new ChatFramer(spec.requestBytes);
    const answer = (): void => {
      c.write(resp, 0, resp.length);
    };
    c.onData = (b, off, len) => framer.push(b, off, len, answer);
    c.onFailure = (e) => (failure ??= e);
  });
  const latency = new Distribution('transactionLatency');
  let transactions = 0;
  let errors = 0;
  let open = spec.conns;
  let tLast = 0;
  let finished: (() => void) | null = null;
  const done = new Promise<void>((r) => (finished = r));
  const conns: StreamConn[] = [];
  for (let i = 0; i < spec.conns; i++) conns.push(await net.connect(port));
  const t0 = net.now();
  const end = spec.transactions > 0 ? Infinity : t0 + spec.durationNs;
  onProgress?.(`rr/${net.kind}: ${spec.conns} connection(s) running`);
  for (const c of conns) {
    const framer = new ChatFramer(spec.responseBytes);
    let sentAt = 0;
    let count = 0;
    const send = (): void => {
      sentAt = net.now();
      c.write(req, 0, req.length);
    };
    c.onData = (b, off, len) =>
      framer.push(b, off, len, (rb, ro) => {
        const now = net.now();
        if (rb[ro] !== 0x52) errors++;
        latency.add(now - sentAt);
        transactions++;
        count++;
        if (now < end && (spec.transactions === 0 || count < spec.transactions)) send();
        else if (--open === 0) {
          tLast = now;
          finished?.();
        }
      });
    c.onFailure = (e) => (failure ??= e);
    send();
  }
  await done;
  if (failure !== null) throw failure;
  return { transactions, errors, elapsedNs: Math.max(1, tLast - t0), latencyNs: latency, counters: net.counters() };
}
