/**
 * Bulk transfer (iperf-like) in real time on a real transport: `flows`
 * connections, each sending `chunkBytes` writes for `durationNs` of wall time
 * (or exactly `bytes` per flow when given), the receiver counting (and, with
 * `verify`, checking) every byte.
 *
 * Owns: real-time driving and timing of the bulk workload.
 */
import type { StreamConn, StreamNet } from './stream-net.js';
import { createStreamNet, turn } from './stream-net.js';
import { patternBuffer, patternMismatches } from '../workloads/bulk-pattern.js';

export interface BulkRealSpec {
  flows: number;
  chunkBytes: number;
  /** Bytes per flow; 0 = time-bound (durationNs). */
  bytes: number;
  durationNs: number;
  /** Check every received byte against the sender's pattern (slower). */
  verify: boolean;
}

export interface BulkRealOutcome {
  perFlow: { sent: number; received: number; corrupt: number }[];
  elapsedNs: number;
  counters: Record<string, number>;
}

export async function runBulkReal(kind: 'kernel' | 'zerostack', spec: BulkRealSpec, onProgress?: (m: string) => void): Promise<BulkRealOutcome> {
  const net = createStreamNet(kind, { bufBytes: 4 * 1024 * 1024 });
  try {
    return await drive(net, spec, onProgress);
  } finally {
    await net.close();
  }
}

async function drive(net: StreamNet, spec: BulkRealSpec, onProgress?: (m: string) => void): Promise<BulkRealOutcome> {
  const flows = spec.flows;
  const perFlow = Array.from({ length: flows }, () => ({ sent: 0, received: 0, corrupt: 0 }));
  const targets: number[] = new Array<number>(flows).fill(Infinity);
  let remaining = flows;
  let tLast = 0;
  let finished: (() => void) | null = null;
  const done = new Promise<void>((r) => (finished = r));
  let failure: Error | null = null;
  const check = (i: number): void => {
    const f = perFlow[i]!;
    if (f.received >= targets[i]! && targets[i] !== -1) {
      targets[i] = -1;
      if (--remaining === 0) {
        tLast = net.now();
        finished?.();
      }
    }
  };
  // The server side receives; the flow number is the first byte order of accept.
  let accepted = 0;
  const port = await net.listen((c) => {
    const i = accepted++;
    const f = perFlow[i]!;
    c.onFailure = (e) => (failure ??= e);
    c.onData = (b, off, len) => {
      if (spec.verify) f.corrupt += patternMismatches(b, off, len, f.received);
      f.received += len;
      check(i);
    };
  });
  const conns: StreamConn[] = [];
  for (let i = 0; i < flows; i++) {
    conns.push(await net.connect(port));
    // Accept order equals connect order: connect() resolves after the handshake, one at a time.
    while (accepted <= i) await turn();
  }
  const pattern = patternBuffer(spec.chunkBytes);
  const t0 = net.now();
  onProgress?.(`bulk/${net.kind}: ${flows} flow(s) running`);
  const end = spec.bytes > 0 ? Infinity : t0 + spec.durationNs;
  const active = new Set<number>(conns.map((_, i) => i));
  while (active.size > 0 && failure === null) {
    for (const i of [...active]) {
      const c = conns[i]!;
      const f = perFlow[i]!;
      // Fill until the transport pushes back, then let the event loop run.
      while (c.queued === 0) {
        if (net.now() >= end || (spec.bytes > 0 && f.sent >= spec.bytes)) {
          active.delete(i);
          targets[i] = f.sent;
          check(i);
          break;
        }
        const n = spec.bytes > 0 ? Math.min(spec.chunkBytes, spec.bytes - f.sent) : spec.chunkBytes;
        const at = f.sent & 255;
        f.sent += n;
        if (!c.write(pattern, at, n)) break;
      }
    }
    await turn();
  }
  if (failure !== null) throw failure;
  await done;
  return { perFlow, elapsedNs: Math.max(1, tLast - t0), counters: net.counters() };
}
