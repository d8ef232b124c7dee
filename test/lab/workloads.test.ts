/**
 * Workload correctness on all three transports at small sizes: every chat
 * message reaches exactly the room's other users, in order per sender; bulk
 * byte counts are exact; rr transaction counts are exact.
 */
import { describe, expect, it } from 'vitest';
import { runChatroom } from '../../src/lab/workloads/chatroom.js';
import { runBulk } from '../../src/lab/workloads/bulk.js';
import { runRr } from '../../src/lab/workloads/rr.js';
import type { TransportKind } from '../../src/lab/types.js';
import { WORKLOADS } from '../../src/lab/registry.js';

const TRANSPORTS: TransportKind[] = ['sim', 'zerostack', 'kernel'];

describe.each(TRANSPORTS)('chatroom on %s', (transport) => {
  it('delivers every message to exactly the 19 other users of its room, in order per sender', async () => {
    const r = await runChatroom({ transport, rooms: 2, users: 20, msgs: 3 });
    expect(r.expectedMessages).toBe(2 * 20 * 19 * 3);
    expect(r.messagesSent).toBe(2 * 20 * 3);
    expect(r.messagesReceived).toBe(r.expectedMessages);
    expect(r.violations).toEqual({ corrupt: 0, misrouted: 0, outOfOrder: 0, duplicate: 0, missing: 0, total: 0 });
    expect(r.messagesPerSecond).toBeGreaterThan(0);
    expect(r.latencyUs.count).toBe(r.messagesReceived);
    expect(r.latencyUs.p50).toBeGreaterThan(0);
    expect(r.latencyUs.p999).toBeGreaterThanOrEqual(r.latencyUs.p50);
  });
});

describe('chatroom in the simulator', () => {
  it('runs a reader and a writer process per connection on each side (4 per user, plus the acceptor)', async () => {
    const r = await runChatroom({ transport: 'sim', rooms: 1, users: 5, msgs: 2, era: '2002' });
    expect(r.violations.total).toBe(0);
    expect(r.messagesReceived).toBe(5 * 4 * 2);
    expect(r.simEvents).toBeGreaterThan(0);
    expect(r.cpu).toBeDefined();
  });

  it('with copy = zerocopy and prequeue-hwcsum still delivers everything in order', async () => {
    const r = await runChatroom({ transport: 'sim', rooms: 1, users: 4, msgs: 5, copy: 'zerocopy', rxPath: 'prequeue-hwcsum', csum: 'none', era: '2002' });
    expect(r.violations.total).toBe(0);
    expect(r.messagesReceived).toBe(4 * 3 * 5);
  });
});

describe.each(TRANSPORTS)('bulk on %s', (transport) => {
  it('byte-bound flows arrive exactly and unchanged', async () => {
    const bytes = 300_001;
    const r = await runBulk({ transport, flows: 2, bytes, chunkBytes: 16384, verify: 'on' });
    expect(r.perFlow.map((f) => f.sent)).toEqual([bytes, bytes]);
    expect(r.perFlow.map((f) => f.received)).toEqual([bytes, bytes]);
    expect(r.corruptBytes).toBe(0);
    expect(r.goodputBitsPerSecond).toBeGreaterThan(0);
  });
});

describe('bulk in the simulator', () => {
  it.each(['copy', 'copy+csum', 'zerocopy'] as const)('copy mode %s delivers exact bytes and reports the matching work', async (copy) => {
    const r = await runBulk({ transport: 'sim', bytes: 200_000, copy, csum: 'none', verify: 'on', era: '2002' });
    expect(r.bytesReceived).toBe(200_000);
    expect(r.corruptBytes).toBe(0);
    const sender = r.work!['sender']!;
    if (copy === 'copy') expect(sender['bytesCopied']).toBeGreaterThanOrEqual(200_000);
    if (copy === 'copy+csum') expect(sender['bytesCopyChecksummed']).toBeGreaterThanOrEqual(200_000);
    if (copy === 'zerocopy') expect(sender['bytesCopied']! + sender['bytesCopyChecksummed']!).toBe(0);
  });

  it('time-bound goodput is limited by the link when the CPU is not', async () => {
    const r = await runBulk({ transport: 'sim', linkRateBps: 100e6, durationNs: 20_000_000, warmupNs: 10_000_000, era: '2025' });
    expect(r.goodputBitsPerSecond).toBeGreaterThan(90e6);
    expect(r.goodputBitsPerSecond).toBeLessThanOrEqual(100e6);
    expect(r.cpu!['sender']!.idle).toBeGreaterThan(0.5);
  });
});

describe.each(TRANSPORTS)('rr on %s', (transport) => {
  it('completes exactly the requested transactions per connection', async () => {
    const r = await runRr({ transport, conns: 3, transactions: 25, requestBytes: 64, responseBytes: 200 });
    expect(r.transactions).toBe(75);
    expect(r.errors).toBe(0);
    expect(r.latencyUs.count).toBe(75);
    expect(r.transactionsPerSecond).toBeGreaterThan(0);
  });
});

describe('rr in the simulator', () => {
  it('is deterministic: same seed, same result', async () => {
    const a = await runRr({ transport: 'sim', transactions: 20, era: '2002', seed: 7 });
    const b = await runRr({ transport: 'sim', transactions: 20, era: '2002', seed: 7 });
    expect(a).toEqual(b);
    expect(a.ackDelayUs!.count).toBeGreaterThan(0);
  });
});

describe('toRow', () => {
  it('flattens a result into one CSV row of scalars with its parameters and headline', async () => {
    const r = await runRr({ transport: 'sim', transactions: 5, era: '2025' });
    const row = WORKLOADS['rr']!.toRow(r);
    expect(row['transactionsPerSecond']).toBe(r.transactionsPerSecond);
    expect(row['latencyUs.p99']).toBe(r.latencyUs.p99);
    expect(row['era']).toBe('2025');
    expect(row['transport']).toBe('sim');
    for (const v of Object.values(row)) expect(v === null || ['string', 'number', 'boolean'].includes(typeof v)).toBe(true);
  });
});
