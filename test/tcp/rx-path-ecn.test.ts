/**
 * RFC 3168 §6.1.3 (the receiver echoes CE as ECE) for segments a receive-path
 * strategy queues and processes later: the prequeue (a reader blocked in recv,
 * src/tcp/rx-path/prequeue.ts) and the socket backlog (a process owns the
 * socket, src/tcp/rx-path/backlog.ts). The CE mark travels with the queued
 * segment (RxState.pqCe / blCe) and is applied when it is processed
 * (TcpLayer.processQueued), so the ACK carries ECE as on the direct path.
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, type Captured } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { Ecn } from '../../src/wire/ipv4.js';
import { lockSocket, markWaitingReader, processBacklog, releaseSocket, setReceivePath } from '../../src/tcp/rx-path/index.js';
import type { Endpoint } from '../../src/tcp/endpoint.js';

const IRS = 1000;
const MSS = 1460;

/** Passive open of an ECN connection (the peer's SYN carries ECE|CWR); returns our endpoint and SND.NXT. */
function ecnConnection(h: Harness): { ep: Endpoint; sndNxt: number } {
  const listener = h.listen();
  h.inject({ flags: 'SEW', seq: IRS, options: { mss: MSS } });
  const synAck = h.expectSegment({ flags: 'S.E' });
  const sndNxt = seqAdd(synAck.seq, 1);
  h.inject({ flags: '.', seq: IRS + 1, ack: sndNxt });
  const ep = listener.accept();
  if (typeof ep === 'number') throw new Error(`accept failed: ${ep}`);
  expect(h.mib.TCPECNEstab).toBe(1);
  return { ep, sndNxt };
}

/** The first segment we sent that acknowledges the 100-byte data segment, waiting for a delayed ACK. */
function ackOfData(h: Harness): Captured {
  h.advance(ms(500));
  const ack = h.drain().find((s) => s.ack === IRS + 101);
  if (ack === undefined) throw new Error('no ACK for the data segment');
  return ack;
}

/** A 100-byte data segment that waits on the prequeue (reader blocked in recv), then the reader runs. */
function prequeued(ecn: number): { h: Harness; ack: Captured } {
  const h = new Harness({ config: { ecn: true } });
  const c = ecnConnection(h);
  setReceivePath(c.ep, 'prequeue');
  markWaitingReader(c.ep, 4096);
  h.inject({ flags: 'P.', seq: IRS + 1, ack: c.sndNxt, payload: 100, ecn });
  expect(c.ep.tcb.rx!.pqCount).toBe(1); // queued raw: not processed, not ACKed yet
  expect(h.drain()).toEqual([]);
  expect(h.mib.TCPECNCe).toBe(0);
  expect(c.ep.recv(new Uint8Array(4096), 0, 4096)).toBe(100);
  expect(h.mib.TCPPrequeued).toBe(1);
  return { h, ack: ackOfData(h) };
}

/** A 100-byte data segment that waits on the backlog (a process owns the socket), then the release runs it. */
function backlogged(ecn: number): { h: Harness; ack: Captured } {
  const h = new Harness({ config: { ecn: true } });
  const c = ecnConnection(h);
  setReceivePath(c.ep, 'direct');
  expect(lockSocket(c.ep)).toBe(true);
  h.inject({ flags: 'P.', seq: IRS + 1, ack: c.sndNxt, payload: 100, ecn });
  expect(h.mib.TCPBacklogQueued).toBe(1);
  expect(h.drain()).toEqual([]);
  expect(h.mib.TCPECNCe).toBe(0);
  expect(releaseSocket(c.ep.tcb)).toBe(true);
  processBacklog(c.ep.tcb);
  expect(c.ep.tcb.rcvNxt).toBe(IRS + 101);
  return { h, ack: ackOfData(h) };
}

describe('receiver: CE → ECE for queued segments (RFC 3168 §6.1.3)', () => {
  it('ce_on_a_prequeued_data_segment_sets_ece_on_the_ack', () => {
    const r = prequeued(Ecn.CE);
    expect(r.ack.flagStr).toBe('.E');
    expect(r.h.mib.TCPECNCe).toBe(1);
  });

  it('a_prequeued_data_segment_without_ce_gets_no_ece', () => {
    const r = prequeued(Ecn.ECT0);
    expect(r.ack.flagStr).toBe('.');
    expect(r.h.mib.TCPECNCe).toBe(0);
  });

  it('ce_on_a_prequeued_segment_processed_by_the_delayed_ack_timer_sets_ece', () => {
    // Prequeue path (c): the reader never runs; the 150 ms timer processes the queue in softirq.
    const h = new Harness({ config: { ecn: true } });
    const c = ecnConnection(h);
    setReceivePath(c.ep, 'prequeue');
    markWaitingReader(c.ep, 4096);
    h.inject({ flags: 'P.', seq: IRS + 1, ack: c.sndNxt, payload: 100, ecn: Ecn.CE });
    expect(ackOfData(h).flagStr).toBe('.E');
    expect(h.mib.TCPSchedulerFailed).toBe(1);
    expect(h.mib.TCPECNCe).toBe(1);
  });

  it('ce_on_a_backlogged_data_segment_sets_ece_on_the_ack', () => {
    const r = backlogged(Ecn.CE);
    expect(r.ack.flagStr).toBe('.E');
    expect(r.h.mib.TCPECNCe).toBe(1);
  });

  it('a_backlogged_data_segment_without_ce_gets_no_ece', () => {
    const r = backlogged(Ecn.ECT0);
    expect(r.ack.flagStr).toBe('.');
    expect(r.h.mib.TCPECNCe).toBe(0);
  });
});
