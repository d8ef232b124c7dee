/**
 * Receive paths doing the real work (no host CPU model: plain CountingAccounting,
 * the stack's own checksum engine): zero-copy receive hands out the very buffers
 * the NIC received into; the prequeue reader's fused checksum+copy really
 * verifies (a corrupted segment is caught in the copy and dropped; the
 * retransmission is delivered intact).
 */
import { describe, expect, it } from 'vitest';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { NicDecorator } from '../../src/link/nic-decorator.js';
import type { Nic } from '../../src/link/nic.js';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import type { Endpoint } from '../../src/tcp/endpoint.js';
import { markWaitingReader, setStackReceivePath } from '../../src/tcp/rx-path/index.js';
import { parseIpv4 } from '../../src/wire/address.js';

const MS = 1_000_000;

/** Records the frames it receives; optionally corrupts one payload byte of the first TCP frame longer than `corruptAbove`. */
class Tap extends NicDecorator {
  readonly frames: PacketBuffer[] = [];
  readonly bytesSeen = new Set<Uint8Array>();
  corruptAbove = -1;
  corrupted = 0;
  constructor(inner: Nic) {
    super(inner);
  }
  protected override receive(frames: readonly PacketBuffer[], count: number): void {
    for (let i = 0; i < count; i++) {
      const f = frames[i]!;
      this.frames.push(f);
      this.bytesSeen.add(f.bytes);
      const len = f.tail - f.head;
      // Ethernet 14 + IPv4 20 + TCP ≥ 20: flip the last byte (TCP payload; the IPv4 header checksum stays valid).
      if (this.corruptAbove >= 0 && this.corrupted === 0 && len - 34 > this.corruptAbove && f.bytes[f.head + 23] === 6) {
        f.bytes[f.tail - 1]! ^= 0xff;
        this.corrupted++;
      }
    }
    this.deliver(frames, count);
  }
}

function pair(rxPath: string) {
  const net = new Network({ seed: 9, pool: { memoryBytes: 8 << 20 } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { rate: '1Gbit', delay: '100us' });
  const acctA = new CountingAccounting();
  const acctB = new CountingAccounting();
  const a = new Stack({ clock: net.clock, pool: h1.pool, acct: acctA, name: 'h1', secret: h1.secret, nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
  const tap = new Tap(h2.ports[0]!);
  const b = new Stack({ clock: net.clock, pool: h2.pool, acct: acctB, name: 'h2', secret: h2.secret, nics: [tap], config: { interfaces: [{ address: '10.0.0.2/24' }] } });
  setStackReceivePath(b.tcp, rxPath);
  const l = b.tcp.createEndpoint();
  expect(l.bind(0, 80)).toBe(0);
  expect(l.listen(4)).toBe(0);
  const c = a.tcp.createEndpoint();
  c.connect(parseIpv4('10.0.0.2'), 80);
  net.runFor(5 * MS);
  const s = l.accept() as Endpoint;
  expect(typeof s).toBe('object');
  return { net, a, b, c, s, tap, acctB };
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

describe('zero-copy receive, real mode', () => {
  it('recvViews hands out windows of the very buffers the NIC received into: same storage, payload in place, nothing copied', () => {
    const { net, c, s, tap, acctB } = pair('zerocopy');
    const data = bytes(5000, 1);
    expect(c.send(data, 0, data.length)).toBe(5000);
    net.runFor(50 * MS); // Nagle holds the last 656 bytes until the first ACK
    const copiedBefore = acctB.bytesCopied;
    const views: PacketBuffer[] = [];
    const k = s.recvViews(16, views);
    expect(k).toBe(4); // 5000 bytes in segments of at most 1448
    let at = 0;
    for (let i = 0; i < k; i++) {
      const v = views[i]!;
      expect(tap.bytesSeen.has(v.bytes)).toBe(true); // identity: the NIC's receive buffer
      const n = v.tail - v.head;
      expect(v.bytes.subarray(v.head, v.tail)).toEqual(data.subarray(at, at + n));
      at += n;
      v.release();
    }
    expect(at).toBe(5000);
    expect(acctB.bytesCopied).toBe(copiedBefore);
  });
});

describe('prequeue reader: fused checksum + copy, real mode', () => {
  it('a corrupted segment is caught by the checksum fused into the copy and dropped; the retransmission arrives intact', () => {
    const { net, b, c, s, tap, acctB } = pair('prequeue');
    tap.corruptAbove = 76;
    const data = bytes(300, 2);
    markWaitingReader(s, 4096); // a reader blocked in recv (Linux ucopy.task)
    expect(c.send(data, 0, data.length)).toBe(300);
    net.runFor(2 * MS);
    expect(tap.corrupted).toBe(1);
    expect(s.tcb.rx!.pqCount).toBe(1); // queued raw: not verified, not ACKed
    const buf = new Uint8Array(4096);
    const fused = acctB.bytesCopyChecksummed;
    expect(s.recv(buf, 0, buf.length)).toBeLessThan(0); // EAGAIN: the only segment was bad
    expect(acctB.bytesCopyChecksummed - fused).toBe(300);
    expect(b.tcp.mib.InCsumErrors).toBe(1);
    expect(b.tcp.mib.TCPPrequeued).toBe(1);
    net.runFor(2_000 * MS); // the sender's RTO retransmits
    const n = s.recv(buf, 0, buf.length);
    expect(n).toBe(300);
    expect(buf.subarray(0, 300)).toEqual(data);
  });

  it('an intact segment is copied into the reader buffer by the fused pass, bytes identical', () => {
    const { net, b, c, s, acctB } = pair('prequeue');
    const data = bytes(1000, 3);
    markWaitingReader(s, 4096);
    c.send(data, 0, data.length);
    net.runFor(2 * MS);
    const buf = new Uint8Array(4096);
    expect(s.recv(buf, 0, buf.length)).toBe(1000);
    expect(buf.subarray(0, 1000)).toEqual(data);
    expect(acctB.bytesCopyChecksummed).toBe(1000);
    expect(b.tcp.mib.TCPDirectCopyFromPrequeue).toBe(1000);
    expect(s.tcb.rx!.readerWaiting).toBe(false);
  });
});
