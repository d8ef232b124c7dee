/**
 * TCP loss recovery: bulk transfers over a simulated lossy link, in virtual time,
 * with RFC 6675 SACK recovery (config.tcp.sackRecovery = true, the default) against
 * the NewReno baseline (sackRecovery = false, same SACK negotiation, same seeds)
 * measured in the same run. Lab-independent: two Stacks on a Network link.
 *
 * Scenarios: 100 Mbit/s, 5 ms one-way delay (10 ms RTT), Bernoulli loss of 1% and
 * 3% in both directions, with the newreno and the cubic congestion controller, 4 MiB one way, seeds 1..10 (TCP_LOSS_SEEDS to change the
 * count); 1 MiB send/receive buffers so the window is not the limit. Printed per
 * scenario: median goodput (payload bits / virtual time from connect to the last
 * byte read), median RTO count (sender TCPTimeouts during the data phase) and median retransmitted
 * segments for both modes, and the goodput ratio SACK/NewReno. Then the selfcheck
 * scenario (`zerostack selfcheck --seed 1018086114`: 1 Gbit/s, 1 ms, 1% loss,
 * ping first so the link draws match) in both modes.
 *
 * Virtual time makes every figure exact and reproducible; wall time is not measured.
 * Run: `npx tsx bench/run.ts tcp-loss`.
 */
import { Network } from '../src/sim/network.js';
import { Stack } from '../src/stack.js';
import { TcpErrno } from '../src/tcp/tcb.js';
import { parseIpv4 } from '../src/wire/address.js';
import { median, printTable } from './util.js';

const MiB = 1024 * 1024;

export interface LossRunOptions {
  seed: number;
  rate: string;
  delay: string;
  loss: number;
  bytes: number;
  sackRecovery: boolean;
  /** Congestion controller (config.tcp.congestionControl); default newreno. */
  cc?: string;
  /** Replay the selfcheck's ping phase first (same link PRNG draws as the CLI). */
  pingFirst?: boolean;
  buffers?: number;
}

export interface LossRunResult {
  ok: boolean;
  goodputMbit: number;
  seconds: number;
  rtos: number;
  retrans: number;
  recoveries: number;
}

/** One bulk transfer a → b; returns goodput and the sender's loss-recovery counters. */
export async function lossyTransfer(o: LossRunOptions): Promise<LossRunResult> {
  const net = new Network({ seed: o.seed, pool: { memoryBytes: 32 * MiB } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { rate: o.rate, delay: o.delay, loss: o.loss });
  const buf = o.buffers;
  const cc = o.cc ?? 'newreno';
  const tcp = buf === undefined ? { sackRecovery: o.sackRecovery, congestionControl: cc } : { sackRecovery: o.sackRecovery, congestionControl: cc, sndbuf: buf, rcvbuf: buf };
  const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, secret: h1.secret, config: { interfaces: [{ address: '10.0.0.1/24' }], tcp } });
  const b = new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, secret: h2.secret, config: { interfaces: [{ address: '10.0.0.2/24' }], tcp } });
  if (o.pingFirst) {
    let rtt = -1;
    for (let i = 0; i < 5 && rtt < 0; i++) {
      const reply = a.ping(parseIpv4('10.0.0.2'), { timeout: '200ms' }).then((r) => (rtt = r.rttNs), () => undefined);
      net.runFor('300ms');
      await reply;
    }
  } else {
    net.runFor('1ms');
  }
  const l = b.tcp.createEndpoint();
  l.bind(0, 5001);
  l.listen(4);
  const c = a.tcp.createEndpoint();
  const start = net.clock.now();
  c.connect(parseIpv4('10.0.0.2'), 5001);
  // Poll for the accepted connection (a lost SYN or SYN-ACK costs a 1 s RTO).
  let s = l.accept();
  for (let i = 0; i < 300 && typeof s === 'number'; i++) {
    net.runFor('100ms');
    s = l.accept();
  }
  const rtos0 = a.tcp.mib.TCPTimeouts; // handshake timeouts (lost SYN / SYN-ACK) are not loss recovery
  const data = new Uint8Array(o.bytes);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 8)) & 0xff;
  const scratch = new Uint8Array(65536);
  let sent = 0;
  let received = 0;
  let same = true;
  if (typeof s !== 'number') {
    for (let i = 0; i < 600_000 && received < data.length; i++) {
      if (sent < data.length) {
        const n = c.send(data, sent, data.length - sent);
        if (n > 0) sent += n;
        else if (n !== TcpErrno.EAGAIN) break;
      }
      net.runFor('1ms');
      for (;;) {
        const n = s.recv(scratch, 0, scratch.length);
        if (n <= 0) break;
        for (let k = 0; k < n && same; k++) if (scratch[k] !== data[received + k]) same = false;
        received += n;
      }
    }
  }
  const seconds = (net.clock.now() - start) / 1e9;
  const mib = a.tcp.mib;
  return {
    ok: same && received === data.length,
    goodputMbit: (received * 8) / seconds / 1e6,
    seconds,
    rtos: mib.TCPTimeouts - rtos0,
    retrans: mib.RetransSegs,
    recoveries: mib.TCPSackRecovery + mib.TCPRenoRecovery,
  };
}

export async function run(): Promise<void> {
  const seeds = Number(process.env.TCP_LOSS_SEEDS ?? 10);
  const rows: (string | number)[][] = [];
  for (const [cc, loss] of [['newreno', 0.01], ['newreno', 0.03], ['cubic', 0.01], ['cubic', 0.03]] as const) {
    const per: Record<'newreno' | 'sack', LossRunResult[]> = { newreno: [], sack: [] };
    for (let seed = 1; seed <= seeds; seed++) {
      for (const mode of ['newreno', 'sack'] as const) {
        const r = await lossyTransfer({ seed, rate: '100Mbit', delay: '5ms', loss, bytes: 4 * MiB, sackRecovery: mode === 'sack', cc, buffers: MiB });
        if (!r.ok) throw new Error(`transfer failed: ${cc} loss ${loss} seed ${seed} ${mode}`);
        per[mode].push(r);
      }
    }
    const m = (mode: 'newreno' | 'sack', k: keyof LossRunResult): number => median(per[mode].map((r) => Number(r[k])));
    rows.push([
      `${cc}, ${loss * 100}% loss`,
      m('newreno', 'goodputMbit'),
      m('sack', 'goodputMbit'),
      m('sack', 'goodputMbit') / m('newreno', 'goodputMbit'),
      m('newreno', 'rtos'),
      m('sack', 'rtos'),
      m('newreno', 'retrans'),
      m('sack', 'retrans'),
    ]);
  }
  // Recovery: RFC 6582 = sackRecovery false (NewReno, SACK still negotiated), RFC 6675 = SACK recovery.
  printTable(
    `bulk 4 MiB over 100 Mbit/s, 10 ms RTT, seeds 1..${seeds} (medians; virtual time)`,
    ['cc, link', 'RFC 6582 Mbit/s', 'RFC 6675 Mbit/s', 'ratio', 'RFC 6582 RTOs', 'RFC 6675 RTOs', 'RFC 6582 rtx', 'RFC 6675 rtx'],
    rows,
  );
  const sc: (string | number)[][] = [];
  for (const mode of ['newreno', 'sack'] as const) {
    const r = await lossyTransfer({ seed: 1018086114, rate: '1Gbit', delay: '1ms', loss: 0.01, bytes: 4 * MiB, sackRecovery: mode === 'sack', pingFirst: true });
    sc.push([mode === 'sack' ? 'RFC 6675 (SACK)' : 'RFC 6582 (NewReno)', r.goodputMbit, r.rtos, r.retrans, r.recoveries, r.ok ? 'yes' : 'NO']);
  }
  printTable('selfcheck scenario, seed 1018086114 (1 Gbit/s, 1 ms, 1% loss, 4 MiB)', ['mode', 'Mbit/s', 'RTOs', 'rtx', 'recoveries', 'byte-exact'], sc);
}
