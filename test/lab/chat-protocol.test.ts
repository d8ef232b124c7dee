import { describe, expect, it } from 'vitest';
import { CHAT_MAGIC, ChatFramer, ChatServerLogic, ChatVerifier, decodeMessage, encodeMessage, JOIN_MAGIC, totalViolations } from '../../src/lab/workloads/chat-protocol.js';

const shape = { rooms: 2, usersPerRoom: 3, msgsPerUser: 2, msgBytes: 40 };

function msg(room: number, sender: number, seq: number, t = 0, magic = CHAT_MAGIC): Uint8Array {
  const b = new Uint8Array(shape.msgBytes);
  encodeMessage(b, 0, shape.msgBytes, magic, room, sender, seq, t);
  return b;
}

describe('chat wire format', () => {
  it('round-trips the header, including the send time', () => {
    const b = msg(1, 4, 7, 123456789.5);
    const h = decodeMessage(b, 0, { ok: false, magic: 0, room: 0, sender: 0, seq: 0, sendTimeNs: 0 });
    expect(h).toEqual({ ok: true, magic: CHAT_MAGIC, room: 1, sender: 4, seq: 7, sendTimeNs: 123456789.5 });
  });

  it('a flipped header bit fails the check word', () => {
    const b = msg(1, 4, 7);
    b[9]! ^= 1;
    expect(decodeMessage(b, 0, { ok: true, magic: 0, room: 0, sender: 0, seq: 0, sendTimeNs: 0 }).ok).toBe(false);
  });
});

describe('ChatFramer', () => {
  it('cuts a stream into whole messages whatever the chunking', () => {
    const stream = new Uint8Array(5 * shape.msgBytes);
    for (let i = 0; i < 5; i++) stream.set(msg(0, 1, i), i * shape.msgBytes);
    for (const chunk of [1, 7, 40, 41, 79, 200]) {
      const f = new ChatFramer(shape.msgBytes);
      const seqs: number[] = [];
      for (let o = 0; o < stream.length; o += chunk) {
        const n = Math.min(chunk, stream.length - o);
        f.push(stream, o, n, (b, off) => seqs.push(decodeMessage(b, off, { ok: false, magic: 0, room: 0, sender: 0, seq: 0, sendTimeNs: 0 }).seq));
      }
      expect(seqs).toEqual([0, 1, 2, 3, 4]);
      expect(f.pending).toBe(0);
    }
  });
});

describe('ChatVerifier', () => {
  it('counts a complete, in-order delivery as zero violations', () => {
    const v = new ChatVerifier(shape);
    for (let r = 0; r < 6; r++) {
      const room = Math.floor(r / 3);
      for (let s = room * 3; s < room * 3 + 3; s++) {
        if (s === r) continue;
        for (let k = 0; k < 2; k++) expect(v.onMessage(r, msg(room, s, k, 5), 0)).toBe(5);
      }
    }
    expect(v.received).toBe(v.expected);
    expect(v.expected).toBe(2 * 3 * 2 * 2);
    expect(totalViolations(v.finish())).toBe(0);
  });

  it('detects out-of-order, duplicate, misrouted, echoed-back, corrupt and missing messages', () => {
    const v = new ChatVerifier(shape);
    expect(v.onMessage(0, msg(0, 1, 1), 0)).toBe(-1); // skipped seq 0
    expect(v.onMessage(0, msg(0, 1, 1), 0)).toBe(-1); // duplicate
    expect(v.onMessage(0, msg(1, 3, 0), 0)).toBe(-1); // other room
    expect(v.onMessage(0, msg(0, 0, 0), 0)).toBe(-1); // own message
    const bad = msg(0, 2, 0);
    bad[5]! ^= 0x40;
    expect(v.onMessage(0, bad, 0)).toBe(-1);
    const out = v.finish();
    expect(out.outOfOrder).toBe(1);
    expect(out.duplicate).toBe(1);
    expect(out.misrouted).toBe(2);
    expect(out.corrupt).toBe(1);
    // The skip over user 1's seq 0 is counted once, as out of order (not again as missing);
    // everything else user 0 and the others should have received is missing.
    expect(out.missing).toBe(v.expected - 2);
  });
});

describe('ChatServerLogic', () => {
  it('forwards each message to the other users of its room only, holding them until the room is complete', () => {
    const sent: [string, number][] = [];
    const logic = new ChatServerLogic<string>(shape, (to, b, off) => sent.push([to, decodeMessage(b, off, { ok: false, magic: 0, room: 0, sender: 0, seq: 0, sendTimeNs: 0 }).sender]));
    logic.onMessage('a', msg(0, 0, 0, 0, JOIN_MAGIC), 0);
    logic.onMessage('b', msg(0, 1, 0, 0, JOIN_MAGIC), 0);
    logic.onMessage('a', msg(0, 0, 0), 0); // room 0 not complete yet: held
    expect(sent).toEqual([]);
    logic.onMessage('c', msg(0, 2, 0, 0, JOIN_MAGIC), 0);
    expect(sent).toEqual([
      ['b', 0],
      ['c', 0],
    ]);
    logic.onMessage('c', msg(0, 2, 0), 0);
    expect(sent.slice(2)).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
    expect(logic.allJoined).toBe(false); // room 1 is empty
  });

  it('rejects a second join for the same user and chat before join', () => {
    const logic = new ChatServerLogic<string>(shape, () => {});
    logic.onMessage('a', msg(0, 0, 0, 0, JOIN_MAGIC), 0);
    logic.onMessage('x', msg(0, 0, 0, 0, JOIN_MAGIC), 0);
    logic.onMessage('y', msg(0, 1, 0), 0);
    expect(logic.rejected).toBe(2);
  });
});
