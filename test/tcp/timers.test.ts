/**
 * Keepalive (RFC 1122 §4.2.3.6) and timer hygiene (one Timer per purpose,
 * stale firings harmless).
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern, sec } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { TcpErrno } from '../../src/tcp/tcb.js';

const noTs = { mss: 1460 };

describe('keepalive (RFC 1122 §4.2.3.6)', () => {
  it('idle_connection_is_probed_and_times_out_with_etimedout_and_rst', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('keepIdle', sec(10));
    c.ep.setOption('keepIntvl', sec(1));
    c.ep.setOption('keepCnt', 3);
    c.ep.setOption('keepalive', true);
    // Probe: <SEQ=SND.UNA−1><ACK=RCV.NXT>, no data.
    h.expectSegment({ flags: '.', seq: seqAdd(c.sndNxt, -1), ack: c.rcvNxt, len: 0, at: sec(10) });
    h.expectSegment({ flags: '.', seq: seqAdd(c.sndNxt, -1), at: sec(11) });
    h.expectSegment({ flags: '.', seq: seqAdd(c.sndNxt, -1), at: sec(12) });
    h.expectSegment({ flags: 'R.', at: sec(13) });
    expect(c.ep.state).toBe('CLOSED');
    expect(c.ep.errorCode).toBe(TcpErrno.ETIMEDOUT);
    expect(h.mib.TCPKeepAlive).toBe(3);
  });

  it('an_answered_probe_resets_the_idle_timer', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('keepIdle', sec(10));
    c.ep.setOption('keepIntvl', sec(1));
    c.ep.setOption('keepalive', true);
    h.expectSegment({ seq: seqAdd(c.sndNxt, -1), at: sec(10) });
    h.inject({ flags: '.', seq: c.rcvNxt, ack: c.sndNxt });
    h.expectSegment({ seq: seqAdd(c.sndNxt, -1), at: sec(20) });
    expect(c.ep.state).toBe('ESTABLISHED');
  });

  it('traffic_postpones_keepalive', () => {
    const h = new Harness({ config: { delackPolicy: 'off' } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('keepIdle', sec(10));
    c.ep.setOption('keepalive', true);
    h.advance(sec(8));
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 5 });
    h.expectSegment({ ack: c.rcvNxt + 5, at: sec(8) });
    h.expectSegment({ flags: '.', seq: seqAdd(c.sndNxt, -1), at: sec(18) });
  });

  it('keepalive_is_off_by_default', () => {
    const h = new Harness();
    h.passiveEstablished({ options: noTs });
    h.expectNothing(sec(3 * 3600));
  });
});

describe('timers are state', () => {
  it('many_acks_do_not_create_timers_and_rto_restarts_lazily', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('nodelay', true);
    const pending0 = h.clock.pending;
    for (let i = 0; i < 50; i++) {
      c.ep.send(pattern(10), 0, 10);
      h.advance(ms(1));
      h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 10 * (i + 1)) });
    }
    expect(h.clock.pending).toBeLessThanOrEqual(pending0 + 1);
    h.drain();
    h.expectNothing(sec(5)); // everything acknowledged: no spurious retransmission
  });

  it('closed_connections_leave_no_armed_timers', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('keepalive', true);
    c.ep.send(pattern(10), 0, 10);
    h.inject({ flags: 'R', seq: c.rcvNxt });
    c.listener!.close();
    h.at(h.now());
    expect(h.clock.pending).toBe(0);
  });
});
