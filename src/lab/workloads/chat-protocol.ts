/**
 * The chat benchmark's wire format and bookkeeping (Bill Hartner's chat_s /
 * chat_c, modelled on VolanoMark; background/receive-path.md §4), independent
 * of any transport: the simulator's processes and the real-time drivers all
 * call these.
 *
 * Wire format: fixed-size messages of `msgBytes` (default 100) bytes, so a byte
 * stream is cut into messages by counting; the server never needs to look
 * inside a chat message. Layout (big-endian):
 *
 *   0  u16 magic (0xC4A7 chat message, 0x1017 join)
 *   2  u16 room
 *   4  u32 sender (global user number: room·usersPerRoom + index in room)
 *   8  u32 sequence number of the sender's message (0, 1, …)
 *  12  f64 send time (ns on the driver's clock)
 *  20  u32 check word over bytes 0..19 (detects corruption and mis-framing)
 *  24… filler (a byte pattern of sender and sequence)
 *
 * A connection's first message is a *join* (same size, magic 0x1017): it tells
 * the server which room and user the connection belongs to. The server holds a
 * room's chat messages back until all its users have joined, so no user misses
 * a message because its join was still in flight.
 *
 * Owns: encoding, framing (ChatFramer), the server's room table and forwarding
 * rule (ChatServerLogic: each message goes to the room's other users), and the
 * client's checks (ChatVerifier: every message from every other user of the
 * room, exactly once, in order per sender).
 * Must not: do I/O or read clocks (callers pass times in).
 */
import type { Distribution } from '../../host/stats.js';

export const CHAT_MAGIC = 0xc4a7;
export const JOIN_MAGIC = 0x1017;
/** The smallest message that holds the header. */
export const MIN_MSG_BYTES = 24;

export interface ChatShape {
  rooms: number;
  usersPerRoom: number;
  msgsPerUser: number;
  msgBytes: number;
}

function checkWord(b: Uint8Array, off: number): number {
  // FNV-1a over the 20 header bytes.
  let h = 0x811c9dc5;
  for (let i = 0; i < 20; i++) h = Math.imul(h ^ b[off + i]!, 0x01000193);
  return h >>> 0;
}

// Scratch for the f64 field (big-endian on the wire, whatever the host order).
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function put32(b: Uint8Array, o: number, x: number): void {
  b[o] = x >>> 24;
  b[o + 1] = (x >>> 16) & 0xff;
  b[o + 2] = (x >>> 8) & 0xff;
  b[o + 3] = x & 0xff;
}

function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Write one message (chat or join) into b[off, off+msgBytes). Allocates nothing. */
export function encodeMessage(b: Uint8Array, off: number, msgBytes: number, magic: number, room: number, sender: number, seq: number, sendTimeNs: number): void {
  b[off] = magic >>> 8;
  b[off + 1] = magic & 0xff;
  b[off + 2] = room >>> 8;
  b[off + 3] = room & 0xff;
  put32(b, off + 4, sender);
  put32(b, off + 8, seq);
  f64[0] = sendTimeNs;
  for (let i = 0; i < 8; i++) b[off + 12 + i] = f64Bytes[LITTLE ? 7 - i : i]!;
  put32(b, off + 20, checkWord(b, off));
  const fill = (sender * 31 + seq) & 0xff;
  for (let i = MIN_MSG_BYTES; i < msgBytes; i++) b[off + i] = (fill + i) & 0xff;
}

/** Decoded header of one message (a reused object; see ChatFramer). */
export interface MessageHeader {
  ok: boolean;
  magic: number;
  room: number;
  sender: number;
  seq: number;
  sendTimeNs: number;
}

/** Decode the header of the message at b[off…]; `ok` is false when the check word or magic is wrong. */
export function decodeMessage(b: Uint8Array, off: number, out: MessageHeader): MessageHeader {
  out.magic = (b[off]! << 8) | b[off + 1]!;
  out.room = (b[off + 2]! << 8) | b[off + 3]!;
  out.sender = get32(b, off + 4);
  out.seq = get32(b, off + 8);
  for (let i = 0; i < 8; i++) f64Bytes[LITTLE ? 7 - i : i] = b[off + 12 + i]!;
  out.sendTimeNs = f64[0]!;
  out.ok = (out.magic === CHAT_MAGIC || out.magic === JOIN_MAGIC) && get32(b, off + 20) === checkWord(b, off);
  return out;
}

/**
 * Cuts a byte stream into whole messages. `push` calls `onMessage(bytes, off)`
 * for each complete message: in place when it lies inside the pushed chunk,
 * otherwise from the framer's own reassembly buffer (valid only during the call).
 */
export class ChatFramer {
  private readonly partial: Uint8Array;
  private have = 0;

  constructor(readonly msgBytes: number) {
    this.partial = new Uint8Array(msgBytes);
  }

  /** Bytes of an incomplete message held. */
  get pending(): number {
    return this.have;
  }

  push(b: Uint8Array, off: number, len: number, onMessage: (bytes: Uint8Array, off: number) => void): void {
    const m = this.msgBytes;
    let i = off;
    const end = off + len;
    if (this.have > 0) {
      const k = Math.min(m - this.have, end - i);
      this.partial.set(b.subarray(i, i + k), this.have);
      this.have += k;
      i += k;
      if (this.have < m) return;
      this.have = 0;
      onMessage(this.partial, 0);
    }
    while (end - i >= m) {
      onMessage(b, i);
      i += m;
    }
    if (i < end) {
      this.partial.set(b.subarray(i, end), 0);
      this.have = end - i;
    }
  }
}

/** Counts of everything a chat client can find wrong. All are 0 in a correct run. */
export interface ChatViolations {
  /** Messages whose check word or magic was wrong (corruption or mis-framing). */
  corrupt: number;
  /** Messages from a user of another room, or the receiver's own message echoed back. */
  misrouted: number;
  /** A sender's message arrived after a later one of the same sender (or was skipped over). */
  outOfOrder: number;
  /** A sender's message arrived twice. */
  duplicate: number;
  /** Expected messages that never arrived (counted at the end). */
  missing: number;
}

/** What every chat run reports, whatever drove it (sim processes or the real-time drivers). */
export interface ChatOutcome {
  messagesSent: number;
  messagesReceived: number;
  expected: number;
  elapsedNs: number;
  latencyNs: Distribution;
  violations: ChatViolations;
  /** Joins or messages the server refused (bad room/user): counted as violations. */
  serverRejected: number;
}

export function noViolations(): ChatViolations {
  return { corrupt: 0, misrouted: 0, outOfOrder: 0, duplicate: 0, missing: 0 };
}

export function totalViolations(v: ChatViolations): number {
  return v.corrupt + v.misrouted + v.outOfOrder + v.duplicate + v.missing;
}

/**
 * The client side's check of what one run delivered: for every receiving user,
 * the next sequence number expected from each other user of its room.
 */
export class ChatVerifier {
  readonly violations = noViolations();
  /** Valid chat messages received (the benchmark's score counts these). */
  received = 0;
  private readonly next: Int32Array;
  private readonly hdr: MessageHeader = { ok: false, magic: 0, room: 0, sender: 0, seq: 0, sendTimeNs: 0 };

  constructor(readonly shape: ChatShape) {
    const users = shape.rooms * shape.usersPerRoom;
    this.next = new Int32Array(users * shape.usersPerRoom);
  }

  /** Messages every user should receive in total: rooms · users · (users − 1) · msgs. */
  get expected(): number {
    const s = this.shape;
    return s.rooms * s.usersPerRoom * (s.usersPerRoom - 1) * s.msgsPerUser;
  }

  /**
   * One message arrived at user `receiver` (global number). Returns its send
   * time (ns) when it is a valid in-order chat message, else -1 (counted).
   */
  onMessage(receiver: number, b: Uint8Array, off: number): number {
    const h = decodeMessage(b, off, this.hdr);
    const s = this.shape;
    if (!h.ok || h.magic !== CHAT_MAGIC) {
      this.violations.corrupt++;
      return -1;
    }
    const room = Math.floor(receiver / s.usersPerRoom);
    const senderRoom = Math.floor(h.sender / s.usersPerRoom);
    if (h.room !== room || senderRoom !== room || h.sender === receiver || h.sender >= s.rooms * s.usersPerRoom) {
      this.violations.misrouted++;
      return -1;
    }
    const slot = receiver * s.usersPerRoom + (h.sender % s.usersPerRoom);
    const want = this.next[slot]!;
    if (h.seq === want) {
      this.next[slot] = want + 1;
      this.received++;
      return h.sendTimeNs;
    }
    if (h.seq < want) this.violations.duplicate++;
    else {
      // Skipped ahead: the skipped ones are out of order (if they come later) or missing.
      this.violations.outOfOrder++;
      this.next[slot] = h.seq + 1;
      this.received++;
    }
    return -1;
  }

  /** Close the books: messages never received count as missing. */
  finish(): ChatViolations {
    const s = this.shape;
    let missing = 0;
    for (let r = 0; r < s.rooms * s.usersPerRoom; r++) {
      for (let k = 0; k < s.usersPerRoom; k++) {
        if (k === r % s.usersPerRoom) continue;
        const got = this.next[r * s.usersPerRoom + k]!;
        if (got < s.msgsPerUser) missing += s.msgsPerUser - got;
        else if (got > s.msgsPerUser) this.violations.misrouted += got - s.msgsPerUser; // beyond the last message
      }
    }
    this.violations.missing = missing;
    return this.violations;
  }
}

/**
 * The server's rule: connections join rooms; each chat message read from a
 * connection goes to every other connection of its room, in arrival order.
 * `forward(conn, bytes, off)` is the driver's send (it must copy or send
 * before returning if `bytes` is a transient buffer). Messages of a room that
 * is not complete yet are held and released, in order, when it fills.
 */
export class ChatServerLogic<C> {
  /** Per room: member connections by index in room. */
  private readonly members: (C | undefined)[][];
  private readonly joined: number[];
  private readonly held: { bytes: Uint8Array; index: number }[][];
  private readonly connRoom = new Map<C, { room: number; index: number }>();
  private readonly hdr: MessageHeader = { ok: false, magic: 0, room: 0, sender: 0, seq: 0, sendTimeNs: 0 };
  /** Chat messages read (each forwarded to usersPerRoom − 1 connections). */
  messagesIn = 0;
  /** Messages the server could not place (bad join, unknown connection, corrupt). */
  rejected = 0;

  constructor(
    readonly shape: ChatShape,
    private readonly forward: (to: C, bytes: Uint8Array, off: number) => void,
  ) {
    this.members = Array.from({ length: shape.rooms }, () => new Array<C | undefined>(shape.usersPerRoom).fill(undefined));
    this.joined = new Array<number>(shape.rooms).fill(0);
    this.held = Array.from({ length: shape.rooms }, () => []);
  }

  /** All rooms are complete. */
  get allJoined(): boolean {
    return this.joined.every((n) => n === this.shape.usersPerRoom);
  }

  /** Members of `conn`'s room other than `conn` (empty when unknown). */
  peersOf(conn: C): C[] {
    const r = this.connRoom.get(conn);
    if (r === undefined) return [];
    return this.members[r.room]!.filter((c, i) => c !== undefined && i !== r.index) as C[];
  }

  /** One whole message read from `conn`. */
  onMessage(conn: C, b: Uint8Array, off: number): void {
    const s = this.shape;
    const at = this.connRoom.get(conn);
    if (at === undefined) {
      const h = decodeMessage(b, off, this.hdr);
      const idx = h.sender % s.usersPerRoom;
      if (!h.ok || h.magic !== JOIN_MAGIC || h.room >= s.rooms || Math.floor(h.sender / s.usersPerRoom) !== h.room || this.members[h.room]![idx] !== undefined) {
        this.rejected++;
        return;
      }
      this.members[h.room]![idx] = conn;
      this.connRoom.set(conn, { room: h.room, index: idx });
      if (++this.joined[h.room]! === s.usersPerRoom) {
        const held = this.held[h.room]!;
        this.held[h.room] = [];
        for (const m of held) this.fanOut(h.room, m.index, m.bytes, 0);
      }
      return;
    }
    this.messagesIn++;
    if (this.joined[at.room]! < s.usersPerRoom) {
      this.held[at.room]!.push({ bytes: b.slice(off, off + s.msgBytes), index: at.index });
      return;
    }
    this.fanOut(at.room, at.index, b, off);
  }

  private fanOut(room: number, sender: number, b: Uint8Array, off: number): void {
    const m = this.members[room]!;
    for (let i = 0; i < m.length; i++) if (i !== sender) this.forward(m[i]!, b, off);
  }
}
