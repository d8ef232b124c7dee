/**
 * Property: over random loss patterns, a bulk transfer between two TcpLayers
 * completes byte-exact with RFC 6675 SACK recovery, and it needs no more
 * retransmission timeouts than NewReno (config.sackRecovery = false) on the same
 * pattern.
 *
 * "The same pattern" is defined on the data, not on the wire: the path from the
 * sender drops the first transmission of the data segments in `lost` and the
 * first retransmission of those in `lostAgain` (segments keyed by their offset
 * in the stream / MSS), so both recovery strategies face the same losses
 * whatever they send when. ACKs are not dropped. Virtual time, deterministic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import type { Timer } from '../../src/time/clock.js';
import { PacketPool } from '../../src/buf/pool.js';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { Ipv4Repr } from '../../src/wire/ipv4.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { TcpLayer, type TcpIpOutput } from '../../src/tcp/tcp-layer.js';
import { NULL_OBSERVER, type Endpoint } from '../../src/tcp/endpoint.js';
import { ms, pattern, sec } from './harness.js';

const A = parseIpv4('10.0.0.1');
const B = parseIpv4('10.0.0.2');
const MSS = 1448; // 1500 − 40 − 12 (timestamps)

/** One direction: copy, maybe drop (by the data-segment rule), deliver after `delay`. */
class ScriptedPath implements TcpIpOutput {
  private readonly q: { at: number; buf: PacketBuffer; src: number; dst: number }[] = [];
  private readonly timer: Timer;
  private readonly repr = new Ipv4Repr();
  target: TcpLayer | null = null;
  /** Sequence number of data byte 0 (learned from the SYN). */
  private isn = -1;
  private readonly sends = new Map<number, number>();
  dropped = 0;
  constructor(
    private readonly clock: VirtualClock,
    private readonly self: number,
    private readonly pool: PacketPool,
    private readonly delay: number,
    private readonly lost: ReadonlySet<number>,
    private readonly lostAgain: ReadonlySet<number>,
  ) {
    this.timer = clock.createTimer((p: ScriptedPath) => p.fire(), this);
  }
  output(pkt: PacketBuffer, src: number, dst: number): number {
    const total = pkt.chainLength();
    const copy = this.pool.alloc(total, 0)!;
    let at = copy.append(total);
    for (let b: PacketBuffer | null = pkt; b !== null; b = b.next) {
      copy.bytes.set(b.bytes.subarray(b.head, b.tail), at);
      at += b.tail - b.head;
    }
    pkt.release();
    const h = copy.bytes;
    const o = copy.head;
    const seq = ((h[o + 4]! << 24) | (h[o + 5]! << 16) | (h[o + 6]! << 8) | h[o + 7]!) >>> 0;
    const flags = h[o + 13]!;
    const payload = total - (h[o + 12]! >>> 4) * 4;
    if ((flags & 0x02) !== 0) this.isn = (seq + 1) >>> 0;
    if (payload > 0 && this.isn >= 0) {
      const k = Math.floor(((seq - this.isn) >>> 0) / MSS);
      const n = (this.sends.get(k) ?? 0) + 1;
      this.sends.set(k, n);
      if ((n === 1 && this.lost.has(k)) || (n === 2 && this.lostAgain.has(k))) {
        this.dropped++;
        copy.release();
        return 0;
      }
    }
    this.q.push({ at: this.clock.now() + this.delay, buf: copy, src, dst });
    if (!this.timer.armed) this.timer.arm(this.q[0]!.at);
    return 0;
  }
  private fire(): void {
    const now = this.clock.now();
    while (this.q.length > 0 && this.q[0]!.at <= now) {
      const e = this.q.shift()!;
      this.repr.src = e.src;
      this.repr.dst = e.dst;
      this.target!.input(e.buf, e.src, e.dst, this.repr);
    }
    if (this.q.length > 0) this.timer.arm(this.q[0]!.at);
  }
  sourceFor(): number {
    return this.self;
  }
  mtuFor(): number {
    return 1500;
  }
  isLocalAddress(addr: number): boolean {
    return addr === this.self;
  }
}

interface Outcome {
  exact: boolean;
  received: number;
  rtos: number;
  doneAt: number;
  sackRecoveries: number;
  minPipeSeen: number;
}

function transfer(size: number, lost: Set<number>, lostAgain: Set<number>, sackRecovery: boolean, congestionControl = 'newreno'): Outcome {
  const clock = new VirtualClock();
  const pool = new PacketPool({ memoryBytes: 16 * 1024 * 1024 });
  const config = { sackRecovery, congestionControl };
  const ab = new ScriptedPath(clock, A, pool, ms(5), lost, lostAgain);
  const ba = new ScriptedPath(clock, B, pool, ms(5), new Set(), new Set());
  const tcpA = new TcpLayer({ clock, ip: ab, pool, acct: new CountingAccounting(), config });
  const tcpB = new TcpLayer({ clock, ip: ba, pool, acct: new CountingAccounting(), config });
  ab.target = tcpB;
  ba.target = tcpA;
  const data = pattern(size, 7);
  let received = 0;
  let exact = true;
  const scratch = new Uint8Array(65536);
  const listener = tcpB.createEndpoint();
  listener.bind(0, 80);
  listener.listen(4);
  listener.observer = {
    ...NULL_OBSERVER,
    onAcceptable(l: Endpoint) {
      const ep = l.accept();
      if (typeof ep === 'number') return;
      ep.observer = {
        ...NULL_OBSERVER,
        onReadable(e: Endpoint) {
          for (;;) {
            const n = e.recv(scratch, 0, scratch.length);
            if (n <= 0) return;
            for (let i = 0; i < n && exact; i++) if (scratch[i] !== data[received + i]) exact = false;
            received += n;
          }
        },
      };
    },
  };
  const client = tcpA.createEndpoint();
  let off = 0;
  const pump = (e: Endpoint): void => {
    while (off < size) {
      const n = e.send(data, off, size - off);
      if (n <= 0) return;
      off += n;
    }
  };
  client.observer = { ...NULL_OBSERVER, onConnect: pump, onWritable: pump };
  client.connect(B, 80);
  let doneAt = -1;
  let minPipe = 0;
  const tcb = client.tcb;
  while (clock.now() < sec(300)) {
    clock.runUntil(clock.now() + ms(1));
    pump(client);
    if (sackRecovery && tcb.inRecovery) {
      const p = tcb.scoreboard.pipe(tcb.sndUna, tcb.sndMax, tcb.highRxt, 3, tcb.sndMss);
      if (p < minPipe) minPipe = p;
    }
    if (received === size) {
      doneAt = clock.now();
      break;
    }
  }
  return { exact, received, rtos: tcpA.mib.TCPTimeouts, doneAt, sackRecoveries: tcpA.mib.TCPSackRecovery, minPipeSeen: minPipe };
}

const SEGMENTS = 120;

const patternArb = fc
  .record({
    lost: fc.uniqueArray(fc.integer({ min: 0, max: SEGMENTS - 1 }), { maxLength: 14 }),
    bursts: fc.array(fc.tuple(fc.integer({ min: 0, max: SEGMENTS - 4 }), fc.integer({ min: 2, max: 4 })), { maxLength: 2 }),
    againFrac: fc.double({ min: 0, max: 0.3, noNaN: true }),
  })
  .map(({ lost, bursts, againFrac }) => {
    const set = new Set(lost);
    for (const [s, n] of bursts) for (let k = s; k < s + n; k++) set.add(k);
    const again = new Set([...set].filter((_, i) => i < Math.floor(set.size * againFrac)));
    return { lost: set, again };
  });

describe('property: SACK recovery over random loss patterns (RFC 6675)', () => {
  it('transfer_completes_byte_exact_and_needs_no_more_rtos_than_newreno_on_the_same_pattern', () => {
    let recoveries = 0;
    let patterns = 0;
    let fewer = 0;
    fc.assert(
      fc.property(patternArb, ({ lost, again }) => {
        const size = SEGMENTS * MSS - 100;
        const sack = transfer(size, lost, again, true);
        const reno = transfer(size, lost, again, false);
        const info = JSON.stringify({ lost: [...lost].sort((a, b) => a - b), again: [...again], sack, reno });
        expect(sack.doneAt, info).toBeGreaterThan(0);
        expect(sack.received, info).toBe(size);
        expect(sack.exact, info).toBe(true);
        expect(reno.exact && reno.received === size, info).toBe(true);
        expect(sack.minPipeSeen, info).toBeGreaterThanOrEqual(0);
        expect(sack.rtos, info).toBeLessThanOrEqual(reno.rtos);
        recoveries += sack.sackRecoveries;
        patterns++;
        if (sack.rtos < reno.rtos) fewer++;
      }),
      { numRuns: 60, seed: 6675 },
    );
    // The generator must exercise recovery, and SACK must win somewhere, or the property proves little.
    expect(recoveries).toBeGreaterThan(patterns);
    expect(fewer).toBeGreaterThan(0);
  }, 120_000);

  it('with_cubic_the_transfer_completes_byte_exact_too (RFC 9438 §4.6 loss response inside RFC 6675 recovery)', () => {
    fc.assert(
      fc.property(patternArb, ({ lost, again }) => {
        const size = SEGMENTS * MSS - 100;
        const r = transfer(size, lost, again, true, 'cubic');
        expect(r.exact && r.received === size, JSON.stringify({ lost: [...lost], again: [...again], r })).toBe(true);
        expect(r.minPipeSeen).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 20, seed: 9438 },
    );
  }, 60_000);

  it('multiple_losses_in_one_window_are_repaired_in_about_one_rtt_without_rto', () => {
    // Five segments lost from one window: SACK recovery repairs them all within the
    // recovery round trip; NewReno needs one round trip per hole (RFC 6582).
    const lost = new Set([20, 23, 26, 29, 32]);
    const size = 60 * MSS;
    const clean = transfer(size, new Set(), new Set(), true);
    const sack = transfer(size, lost, new Set(), true);
    const reno = transfer(size, lost, new Set(), false);
    expect(sack.exact && sack.received === size).toBe(true);
    expect(sack.rtos).toBe(0);
    expect(sack.sackRecoveries).toBe(1);
    // RTT is 10 ms: the five holes cost about one extra round trip (at most two).
    expect(sack.doneAt - clean.doneAt).toBeLessThanOrEqual(ms(20));
    expect(reno.doneAt - clean.doneAt).toBeGreaterThanOrEqual(ms(30));
  });
});
