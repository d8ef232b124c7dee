/**
 * Delayed-ACK policies: when an in-order data segment is ACKed at once and
 * when the ACK may wait (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3, RFC 5681 §4.2).
 *
 * Owns: the DelayedAckPolicy interface (docs/tcp.md), the `rfc` and `off`
 * policies, and the registry by name (issue F adds `linux`).
 * Must not: send anything or touch timers. The caller (input.ts) ACKs at once
 * for reasons that do not depend on the policy — out-of-order data, a segment
 * that fills a hole, a FIN, an unacceptable segment — and arms the delayed-ACK
 * timer with the delay a policy returns (never re-arming it later: the ACK is
 * due within the delay of the *first* unacknowledged segment).
 *
 * Counting: a policy that answers ACK_NOW increments the ImmediateAck… counter
 * of its reason; the caller counts AckDelayed, DelayedACKs (timer-sent) and
 * PiggybackedAcks.
 */
import type { Nanos } from '../time/clock.js';
import { registerDelackPolicyName } from './config.js';
import { LinuxDelayedAckPolicy } from './delack-linux.js';
import type { Tcb } from './tcb.js';

/** onData result meaning "ACK now". Any positive value is a delay in ns. */
export const ACK_NOW = 0;

export interface DelayedAckPolicy {
  readonly name: string;
  /** A segment with data was accepted in order. Returns ACK_NOW or the delay (ns) to ACK within. */
  onData(tcb: Tcb, segLen: number, now: Nanos): number;
  /** Any segment carrying our ACK left (piggyback counts). */
  onAckSent(tcb: Tcb, now: Nanos): void;
  /** We sent data (Linux pingpong detection). */
  onDataSent(tcb: Tcb, now: Nanos): void;
  /** The delayed-ACK timer fired. */
  onTimer(tcb: Tcb, now: Nanos): void;
  /**
   * Optional (receive paths, issue F): a segment in order was copied straight into a
   * waiting reader's buffer (Linux "eaten", prequeue path). Linux ACKs it at once
   * only in quickack mode, else with a delayed ACK — no 2·MSS rule. Returns ACK_NOW or
   * a delay. Without it, onData decides.
   */
  onDataEaten?(tcb: Tcb, segLen: number, now: Nanos): number;
  /**
   * Optional: an in-order segment filled (part of) a gap; input.ts ACKs it at once
   * (RFC 5681 §4.2) whatever the policy says, but the policy sees the data (Linux
   * tcp_event_data_recv; tcb.reasm tells whether the gap is now closed).
   */
  onHoleFill?(tcb: Tcb, segLen: number, now: Nanos): void;
}

/**
 * `rfc`: RFC 1122 §4.2.3.2 / RFC 5681 §4.2. ACK when at least two full-sized
 * segments (2·RMSS bytes; RMSS = tcb.rcvMss, the largest segment seen, as Linux
 * rcv_mss) are unacknowledged; otherwise within config.delackTimeout (default
 * 40 ms; validated < 500 ms). TCP_QUICKACK turns every ACK immediate.
 */
class RfcPolicy implements DelayedAckPolicy {
  readonly name = 'rfc';
  onData(tcb: Tcb, _segLen: number, _now: Nanos): number {
    const mib = tcb.layer.mib;
    if (tcb.opts.quickack) {
      mib.ImmediateAckQuickack++;
      return ACK_NOW;
    }
    // RFC 5681 §4.2: "an ACK SHOULD be generated for at least every second full-sized segment".
    // rcvNxt − rcvWup is the data received since our last ACK (see Tcb.rcvWup).
    const unacked = (tcb.rcvNxt - tcb.rcvWup) >>> 0;
    if (unacked >= 2 * tcb.rcvMss) {
      mib.ImmediateAck2Mss++;
      return ACK_NOW;
    }
    return tcb.layer.config.delackTimeout;
  }
  onDataEaten(tcb: Tcb, _segLen: number, _now: Nanos): number {
    if (tcb.opts.quickack) {
      tcb.layer.mib.ImmediateAckQuickack++;
      return ACK_NOW;
    }
    return tcb.layer.config.delackTimeout;
  }
  onAckSent(_tcb: Tcb, _now: Nanos): void {}
  onDataSent(_tcb: Tcb, _now: Nanos): void {}
  onTimer(_tcb: Tcb, _now: Nanos): void {}
}

/** `off`: every data segment is ACKed at once (no delayed ACKs). */
class OffPolicy implements DelayedAckPolicy {
  readonly name = 'off';
  onData(tcb: Tcb, _segLen: number, _now: Nanos): number {
    tcb.layer.mib.ImmediateAckPolicy++;
    return ACK_NOW;
  }
  onAckSent(_tcb: Tcb, _now: Nanos): void {}
  onDataSent(_tcb: Tcb, _now: Nanos): void {}
  onTimer(_tcb: Tcb, _now: Nanos): void {}
}

const POLICIES = new Map<string, DelayedAckPolicy>([
  ['rfc', new RfcPolicy()],
  ['off', new OffPolicy()],
]);

/**
 * Add a policy (issue F: `linux`). Policies hold no per-connection state of
 * their own: they keep it in the TCB's ack… fields (ackAto, ackPingpong, ackQuick, ackLastRcv).
 */
export function registerDelayedAckPolicy(policy: DelayedAckPolicy): void {
  POLICIES.set(policy.name, policy);
  registerDelackPolicyName(policy.name);
}

// Issue F item 2: Linux's adaptive delayed ACK (delack-linux.ts).
registerDelayedAckPolicy(new LinuxDelayedAckPolicy());

/** The policy called `name`; RangeError naming it when unknown. */
export function delayedAckPolicy(name: string): DelayedAckPolicy {
  const p = POLICIES.get(name);
  if (p === undefined) throw new RangeError(`delayed-ACK policy: unknown name ${JSON.stringify(name)} (known: ${[...POLICIES.keys()].join(', ')})`);
  return p;
}

export function delayedAckPolicyNames(): string[] {
  return [...POLICIES.keys()];
}

/**
 * The ACK decision for an "eaten" segment (see DelayedAckPolicy.onDataEaten):
 * ACK_NOW or the delay. The caller's timers.ts armDelayedAck then pulls an armed
 * timer in (e.g. the prequeue's 150 ms one) to now + delay, as Linux
 * tcp_send_delayed_ack does.
 */
export function eatenAckDelay(tcb: Tcb, segLen: number, now: Nanos): number {
  const p = tcb.delack;
  return p.onDataEaten !== undefined ? p.onDataEaten(tcb, segLen, now) : p.onData(tcb, segLen, now);
}
