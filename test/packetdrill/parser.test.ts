/**
 * The .pkt parser, one grammar feature per test (packetdrill's lexer.l /
 * parser.y are the authority), precise errors, and the never-throws property.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ParseError, parseScript,
  type Event, type Expr, type Packet, type ParseOptions, type Script, type Syscall,
} from '../../src/packetdrill/index.js';

function parseOk(text: string, opts: ParseOptions = {}): Script {
  const r = parseScript(text, opts);
  if (r instanceof ParseError) throw new Error(`unexpected parse error: ${r.message}`);
  return r;
}
function parseErr(text: string, opts: ParseOptions = {}): ParseError {
  const r = parseScript(text, opts);
  if (!(r instanceof ParseError)) throw new Error('expected a ParseError but the script parsed');
  return r;
}
function oneEvent(text: string): Event {
  const s = parseOk(text);
  expect(s.events).toHaveLength(1);
  return s.events[0]!;
}
function packet(text: string): Packet {
  const b = oneEvent(text).body;
  if (b.kind !== 'packet') throw new Error(`expected a packet, got ${b.kind}`);
  return b;
}
function syscall(text: string): Syscall {
  const b = oneEvent(text).body;
  if (b.kind !== 'syscall') throw new Error(`expected a syscall, got ${b.kind}`);
  return b;
}
/** Drop positions so expression trees compare by shape. */
function shape(e: Expr): unknown {
  switch (e.kind) {
    case 'ellipsis': return '...';
    case 'int': return e.value;
    case 'string': return { str: e.value };
    case 'symbol': return e.name;
    case 'address': return { addr: e.value };
    case 'or': return { or: e.terms.map(shape) };
    case 'array': return e.items.map(shape);
    case 'call': return { call: e.name, args: e.args.map(shape) };
    case 'struct': return Object.fromEntries(e.fields.map((f) => [f.name, shape(f.value)]));
  }
}

describe('options header', () => {
  it('reads --name=value options in order, the last one winning', () => {
    const s = parseOk('--tolerance_usecs=10000\n--ip_version=ipv4\n--mtu=9000\n--tolerance_usecs=75000\n0 close(3) = 0\n');
    expect([...s.options]).toEqual([['tolerance_usecs', '75000'], ['ip_version', 'ipv4'], ['mtu', '9000']]);
  });

  it('reads a bare --flag as the empty string', () => {
    expect(parseOk('--strict_segments\n0 close(3) = 0').options.get('strict_segments')).toBe('');
  });

  it('reads -D NAME=val, -DNAME=val and --define=NAME=val into defines', () => {
    const s = parseOk('-D PORT=8080\n-DFLAG\n--define=MODE=fast\n0 close(3) = 0');
    expect(s.defines.get('PORT')).toBe('8080');
    expect(s.defines.get('FLAG')).toBe('1');
    expect(s.defines.get('MODE')).toBe('fast');
    expect(s.options.get('define')).toBe('MODE=fast');
  });

  it('substitutes defined words in expressions, as packetdrill’s lexer does', () => {
    const c = syscall('-D FD=7\n-D NAME="x"\n0 close(FD, NAME, OTHER) = 0');
    expect(c.args.map(shape)).toEqual([7, { str: 'x' }, 'OTHER']);
  });

  it('rejects an option after the first event', () => {
    const e = parseErr('0 close(3) = 0\n--mtu=1500\n');
    expect([e.line, e.column]).toEqual([2, 1]);
    expect(e.expected).toMatch(/options go before the first event/);
  });
});

describe('event times', () => {
  it('absolute seconds become microseconds', () => {
    expect(oneEvent(' 1.5 close(3) = 0').time).toEqual({ kind: 'absolute', usecs: 1_500_000 });
    expect(oneEvent('2 close(3) = 0').time).toEqual({ kind: 'absolute', usecs: 2_000_000 });
  });

  it('relative times: +0.1, + 0.00 and +.1', () => {
    expect(oneEvent('+0.1 close(3) = 0').time).toEqual({ kind: 'relative', usecs: 100_000 });
    expect(oneEvent('+ 0.00 close(3) = 0').time).toEqual({ kind: 'relative', usecs: 0 });
    expect(oneEvent('+.1 close(3) = 0').time).toEqual({ kind: 'relative', usecs: 100_000 });
  });

  it('absolute and relative ranges on outbound packets', () => {
    expect(oneEvent('0.1~0.3 > . 1:1(0) ack 1').time)
      .toEqual({ kind: 'range', relative: false, startUsecs: 100_000, endUsecs: 300_000 });
    expect(oneEvent('+0.1~+0.3 > . 1:1(0) ack 1').time)
      .toEqual({ kind: 'range', relative: true, startUsecs: 100_000, endUsecs: 300_000 });
  });

  it('* (any time) on an outbound packet', () => {
    expect(oneEvent('*      > S  0:0(0) win 65535 <...>').time).toEqual({ kind: 'any' });
  });

  it('ranges and * are only for outbound packets (parser.y)', () => {
    const e = parseErr('* close(3) = 0');
    expect([e.line, e.column]).toEqual([1, 3]);
    expect(e.message).toMatch(/expected an outbound packet/);
    const r = parseErr('+0~+1 < . 1:1(0) ack 1 win 100');
    expect(r.column).toBe(7);
    expect(r.found).toBe("'<'");
  });

  it('a backwards range is refused (parser.y "time range is backwards")', () => {
    const e = parseErr('+0.3~+0.1 > . 1:1(0) ack 1');
    expect([e.column, e.expected, e.found]).toEqual([7, 'a range end at or after its start', '0.1']);
  });

  it('a relative range needs + on both ends', () => {
    const e = parseErr('+0.1~0.3 > . 1:1(0) ack 1');
    expect([e.line, e.column]).toEqual([1, 6]);
    expect(e.expected).toMatch(/^'\+'/);
  });

  it('blocking syscalls: t1...t2 keeps the end time', () => {
    const a = oneEvent('+.1...0.200 read(4, ..., 2000) = 2000');
    expect(a.time).toEqual({ kind: 'relative', usecs: 100_000 });
    expect(a.endTime).toEqual({ usecs: 200_000 });
    const b = oneEvent(' 1.00...6.00 connect(3, ..., ...) = -1 ETIMEDOUT (Operation timed out)');
    expect(b.time).toEqual({ kind: 'absolute', usecs: 1_000_000 });
    expect(b.endTime).toEqual({ usecs: 6_000_000 });
    // packetdrill has no '+' on the end time: it shares the start's frame.
    expect(parseErr('+0...+1 accept(3, ..., ...) = 4').column).toBe(6);
    const back = parseErr('2...1 accept(3, ..., ...) = 4');
    expect([back.column, back.found]).toEqual([5, '1']);
    const range = parseErr('0~1...2 accept(3, ..., ...) = 4');
    expect([range.column, range.found]).toEqual([1, 'number 0']);
  });

  it('only syscalls may block', () => {
    const e = parseErr('0...1 < . 1:1(0) ack 1 win 10');
    expect([e.line, e.column]).toEqual([1, 7]);
    expect(e.expected).toMatch(/system call/);
  });

  it('events carry their line and column', () => {
    const s = parseOk('--ip_version=ipv4\n\n  +0 close(3) = 0\n+0.1 > F. 1:1(0) ack 1');
    expect(s.events.map((e) => [e.line, e.column])).toEqual([[3, 3], [4, 1]]);
  });
});

describe('syscalls', () => {
  it('name, arguments, result', () => {
    const c = syscall('+0 listen(3, 1) = 0');
    expect(c.name).toBe('listen');
    expect(c.args.map(shape)).toEqual([3, 1]);
    expect(shape(c.result)).toBe(0);
    expect(c.errno).toBeUndefined();
    expect(c.note).toBeUndefined();
  });

  it('... arguments', () => {
    expect(syscall('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3').args.map(shape))
      .toEqual(['...', 'SOCK_STREAM', 'IPPROTO_TCP']);
  });

  it('no arguments', () => {
    expect(syscall('0 getpid() = 42').args).toEqual([]);
  });

  it('ints by pointer [v] and symbols inside brackets', () => {
    const c = syscall('0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0');
    expect(c.args.map(shape)).toEqual([3, 'SOL_SOCKET', 'SO_ERROR', ['ECONNRESET'], [4]]);
    expect(syscall('0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0').args[3])
      .toMatchObject({ kind: 'array', items: [{ kind: 'int', value: 1 }] });
  });

  it('A|B flag sets', () => {
    const c = syscall('0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK|O_APPEND) = 0');
    expect(shape(c.args[2]!)).toEqual({ or: ['O_RDWR', 'O_NONBLOCK', 'O_APPEND'] });
  });

  it('errno and note: = -1 ECONNREFUSED (Connection refused)', () => {
    const c = syscall('0 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)');
    expect(c.result).toMatchObject({ kind: 'int', value: -1, hex: false, text: '-1' });
    expect(c.errno).toBe('ECONNREFUSED');
    expect(c.note).toBe('Connection refused');
  });

  it('hex result with a note: = 0x02 (flags O_RDWR)', () => {
    const c = syscall('0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)');
    expect(c.result).toMatchObject({ kind: 'int', value: 2, hex: true, text: '0x02' });
    expect(c.errno).toBeUndefined();
    expect(c.note).toBe('flags O_RDWR');
  });

  it('whitespace before the parenthesis: write (3, ..., 10)', () => {
    const c = syscall('+0.00 write (3, ..., 10) = 10');
    expect(c.name).toBe('write');
    expect(c.args.map(shape)).toEqual([3, '...', 10]);
  });

  it('sockaddr, linger and pollfd literals', () => {
    const b = syscall('0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0');
    expect(shape(b.args[1]!)).toEqual({
      sa_family: 'AF_INET',
      sin_port: { call: 'htons', args: [8080] },
      sin_addr: { call: 'inet_addr', args: [{ str: '192.0.2.1' }] },
    });
    const l = syscall('0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0');
    expect(shape(l.args[3]!)).toEqual({ onoff: 1, linger: 0 });
    const p = syscall('0 poll([{fd=3, events=POLLIN|POLLOUT, revents=0}], 1, 0) = 0');
    expect(shape(p.args[0]!)).toEqual([{ fd: 3, events: { or: ['POLLIN', 'POLLOUT'] }, revents: 0 }]);
  });

  it('iovec arrays and msghdr fields with counts', () => {
    const w = syscall('0 writev(3, [{iov_base=..., iov_len=10}, {iov_base=..., iov_len=20}], 2) = 30');
    expect(shape(w.args[1]!)).toEqual([{ iov_base: '...', iov_len: 10 }, { iov_base: '...', iov_len: 20 }]);
    const m = syscall('0 sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{iov_base=..., iov_len=5}], msg_flags=0}, 0) = 5');
    const st = m.args[1]!;
    if (st.kind !== 'struct') throw new Error('struct expected');
    expect(st.fields.map((f) => f.name)).toEqual(['msg_name', 'msg_iov', 'msg_flags']);
    expect(st.fields[1]!.count).toMatchObject({ kind: 'int', value: 1 });
    expect(st.fields[0]!.count).toMatchObject({ kind: 'ellipsis' });
  });

  it('strings, negative and hex ints, bare addresses', () => {
    const c = syscall('0 f("a\\"b", -42, 0xff, 192.0.2.1) = 0');
    expect(c.args.map(shape)).toEqual([{ str: 'a\\"b' }, -42, 255, { addr: '192.0.2.1' }]);
  });

  it('expression positions are recorded', () => {
    const c = syscall('0 close(  3) = 0');
    expect(c.args[0]).toMatchObject({ line: 1, column: 11 });
  });
});

describe('packets', () => {
  it('outbound SYN with the full option list', () => {
    const p = packet('+0.00 > S  0:0(0)       win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>');
    expect(p).toEqual({
      kind: 'packet', direction: '>', flags: 'S', seq: { start: 0, end: 0, len: 0 }, win: 65535,
      options: [
        { kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'wscale', value: 6 }, { kind: 'sackOK' },
        { kind: 'timestamp', val: 100, ecr: 0 },
      ],
    });
  });

  it('inbound SYN-ACK: < S. 0:0(0) ack 1 win 65535 <...options>', () => {
    const p = packet('+0 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>');
    expect(p.direction).toBe('<');
    expect(p.flags).toBe('S.');
    expect(p.ack).toBe(1);
    expect(p.options).toEqual([{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'eol' }, { kind: 'eol' }]);
  });

  it('flags: ., F., SEW, SE., P., R, -', () => {
    expect(packet('0 >  . 2:2(0) ack 2 win 65535').flags).toBe('.');
    expect(packet('0 > F. 1:1(0) ack 1').flags).toBe('F.');
    expect(packet('0 > SEW 0:0(0) win 1').flags).toBe('SEW');
    expect(packet('0 > SE. 0:0(0) ack 1 win 1').flags).toBe('SE.');
    expect(packet('0 > P. 1:11(10) ack 1').flags).toBe('P.');
    expect(packet('0 < R 1:1(0) win 0').flags).toBe('R');
    expect(packet('0 < - 1:1(0) win 0').flags).toBe('');
    expect(packet('0 > FSRPEWAU 1:1(0)').flags).toBe('FSRPEWAU');
  });

  it('packets without options have options null; <> is an empty list; <...> is any', () => {
    expect(packet('0 > . 1:1(0) ack 1 win 65535').options).toBeNull();
    expect(packet('0 > . 1:1(0) ack 1 <>').options).toEqual([]);
    expect(packet('0 > S 0:0(0) win 65535 <...>').options).toBe('any');
  });

  it('seq:end(len) with data and large numbers', () => {
    expect(packet('0 < SF 65537:65540(3) win 32767').seq).toEqual({ start: 65537, end: 65540, len: 3 });
    expect(packet('0 < . 4294967290:4294967295(5) ack 1 win 1').seq).toEqual({ start: 4294967290, end: 4294967295, len: 5 });
    // parser.y compares end with start + len without wrapping.
    expect(parseErr('0 < . 4294967295:9(10) ack 1 win 1').column).toBe(20);
  });

  it('...(len) leaves the sequence range unchecked', () => {
    const p = packet('+0.00 > S.     ...(0)     ack 65537 win 65535 <mss 1460,sackOK,eol,eol>');
    expect(p.seq).toEqual({ start: null, end: null, len: 0 });
    expect(p.ack).toBe(65537);
  });

  it('urg N', () => {
    const p = packet('0 > U. 1:2(1) ack 1 win 100 urg 1');
    expect(p.urg).toBe(1);
    expect(p.win).toBe(100);
  });

  it('sack blocks, wscale, TS with extra spaces, FO cookies', () => {
    const p = packet('0 < . 1:1(0) ack 1 win 100 <nop,nop,sack 1001:2001 3001:4001, TS val  1100 ecr 0, FO abcd1234, FOEXP>');
    expect(p.options).toEqual([
      { kind: 'nop' }, { kind: 'nop' },
      { kind: 'sack', blocks: [{ left: 1001, right: 2001 }, { left: 3001, right: 4001 }] },
      { kind: 'timestamp', val: 1100, ecr: 0 },
      { kind: 'fastopen', experimental: false, cookie: 'abcd1234' },
      { kind: 'fastopen', experimental: true },
    ]);
  });

  it('IP info: [ect0], [noecn], < [noecn] with space, [ce], [ect1], [tos 0x2]', () => {
    expect(packet('+0.00 > [ect0] P. 1:11(10) ack 1').ipInfo).toEqual({ ecn: 'ect0' });
    expect(packet('+0.01 <[noecn] . 1:1(0) ack 1 win 65535').ipInfo).toEqual({ ecn: 'noecn' });
    expect(packet('+0.01 < [noecn] . 1:1(0) ack 1 win 65535').ipInfo).toEqual({ ecn: 'noecn' });
    expect(packet('0 < [ce] . 1:1(0) ack 1 win 1').ipInfo).toEqual({ ecn: 'ce' });
    expect(packet('0 > [ect1] . 1:1(0) ack 1').ipInfo).toEqual({ ecn: 'ect1' });
    expect(packet('0 > [tos 0x2, ttl 64] . 1:1(0) ack 1').ipInfo).toEqual({ tos: 2, ttl: 64 });
    expect(packet('0 > [tos 0x1, flowlabel 7] . 1:1(0) ack 1').ipInfo).toEqual({ tos: 1, flowlabel: 7 });
    const e = parseErr('0 > [ect2] . 1:1(0) ack 1');
    expect([e.column, e.found]).toEqual([6, "'ect2'"]);
    expect(packet('0 > . 1:1(0) ack 1').ipInfo).toBeUndefined();
  });
});

describe('commands and code blocks', () => {
  it('timed backquoted commands', () => {
    const e = oneEvent('+0.00 `sysctl -w net.inet.tcp.rfc1323=1`');
    expect(e.body).toEqual({ kind: 'command', command: 'sysctl -w net.inet.tcp.rfc1323=1' });
  });

  it('untimed init and cleanup commands', () => {
    const s = parseOk('--ip_version=ipv4\n`sysctl -q net.ipv4.tcp_sack=1`\n0 close(3) = 0\n`echo done`\n');
    expect(s.initCommand).toEqual({ command: 'sysctl -q net.ipv4.tcp_sack=1', line: 2, column: 1 });
    expect(s.cleanupCommand).toEqual({ command: 'echo done', line: 4, column: 1 });
    expect(s.events).toHaveLength(1);
  });

  it('an untimed command in the middle is an error', () => {
    const e = parseErr('0 close(3) = 0\n`echo a`\n+0 close(4) = 0\n');
    expect([e.line, e.column]).toEqual([3, 1]);
    expect(e.expected).toMatch(/end of script after the untimed cleanup command/);
  });

  it('%{ assert tcpi_state == TCPI_ESTABLISHED }% keeps the raw code and the assertion', () => {
    const e = oneEvent('+0.00 %{ assert tcpi_state == TCPI_ESTABLISHED }%');
    expect(e.body).toEqual({
      kind: 'code', code: 'assert tcpi_state == TCPI_ESTABLISHED',
      asserts: [{ lhs: 'tcpi_state', op: '==', rhs: 'TCPI_ESTABLISHED' }], other: [],
    });
  });

  it('multi-line code blocks: asserts picked out, the rest kept as other', () => {
    const e = oneEvent('0 %{\nassert tcpi_snd_cwnd <= 10\nprint(tcpi_rtt)\n# note\nassert tcpi_reordering != 3\n}%');
    if (e.body.kind !== 'code') throw new Error('code expected');
    expect(e.body.asserts).toEqual([
      { lhs: 'tcpi_snd_cwnd', op: '<=', rhs: '10' }, { lhs: 'tcpi_reordering', op: '!=', rhs: '3' },
    ]);
    expect(e.body.other).toEqual(['print(tcpi_rtt)']);
  });

  it('asserts with a message or a trailing comment still count', () => {
    const e = oneEvent('0 %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state  # done }%');
    expect(e.body).toMatchObject({ asserts: [{ lhs: 'tcpi_state', op: '==', rhs: 'TCP_ESTABLISHED' }], other: [] });
  });
});

describe('comments and whitespace', () => {
  it('// comments, /* */ comments, comments glued to code', () => {
    const s = parseOk('// header\n/* multi\nline */ 0 close(3) = 0// tail\n+0 /* inline */ close(4) = 0 /* end */');
    expect(s.events).toHaveLength(2);
    expect(s.events[0]).toMatchObject({ line: 3, column: 9 });
  });

  it('tabs and CRLF line ends', () => {
    const s = parseOk('--ip_version=ipv4\r\n+0\tclose(3)\t=\t0\r\n+0 > . 1:1(0) ack 1\r\n');
    expect(s.events).toHaveLength(2);
    expect(s.options.get('ip_version')).toBe('ipv4');
  });

  it('an empty script parses to no events', () => {
    expect(parseOk('').events).toEqual([]);
    expect(parseOk('// only a comment').events).toEqual([]);
  });
});

describe('#ifdef sections (FreeBSD suite)', () => {
  const text = [
    '0 close(5) = 0',
    '#ifdef STANDARD',
    '+0.00 > R. 2:2(0) ack 2 win 0',
    '#else',
    '+0.00 > . 2:2(0) ack 2 win 0',
    '#endif',
    '#ifndef FreeBSD',
    '+0 close(3) = 0',
    '#endif',
  ].join('\n');

  it('keeps the branch whose condition holds', () => {
    const a = parseOk(text, { defines: { STANDARD: '1' } });
    expect(a.events.map((e) => (e.body.kind === 'packet' ? e.body.flags : e.body.kind))).toEqual(['syscall', 'R.', 'syscall']);
    expect(a.conditionals).toEqual([
      { directive: 'ifdef', name: 'STANDARD', taken: true, line: 2, column: 1 },
      { directive: 'ifndef', name: 'FreeBSD', taken: true, line: 7, column: 1 },
    ]);
    const b = parseOk(text, { defines: new Map([['FreeBSD', '1']]) });
    expect(b.events.map((e) => (e.body.kind === 'packet' ? e.body.flags : e.body.kind))).toEqual(['syscall', '.']);
  });

  it('-D in the header defines names for #ifdef', () => {
    expect(parseOk(`-D STANDARD\n${text}`).events).toHaveLength(3);
  });

  it('an unterminated #ifdef points at the #ifdef', () => {
    const e = parseErr('0 close(3) = 0\n  #ifdef X\n+0 close(4) = 0\n');
    expect([e.line, e.column]).toEqual([2, 3]);
    expect(e.expected).toMatch(/#endif/);
  });

  it('an unknown directive is an error', () => {
    const e = parseErr('#include "x.pkt"\n');
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.found).toBe('\'#include "x.pkt"\'');
  });
});

describe('errors name the place, what was expected and what was found', () => {
  it("state.pkt:12:7: expected ')' style messages", () => {
    const e = parseErr('--ip_version=ipv4\n0 close(3 4) = 0', { file: 'state.pkt' });
    expect(e).toBeInstanceOf(ParseError);
    expect(e.message).toBe("state.pkt:2:11: expected ',' or ')' but found number 4");
    expect([e.file, e.line, e.column]).toEqual(['state.pkt', 2, 11]);
  });

  it('missing = after a syscall', () => {
    const e = parseErr('0 close(3) 0');
    expect(e.message).toBe("script.pkt:1:12: expected '=' but found number 0");
  });

  it('inconsistent seq:end(len) (parser.y "inconsistent TCP sequence numbers and payload size")', () => {
    const e = parseErr('0 > P. 1:11(9) ack 1', { file: 'x.pkt' });
    expect(e.message).toBe('x.pkt:1:13: expected payload length (10) matching 1:11 but found (9)');
    expect(parseErr('0 > P. 1:65537(65536) ack 1').expected).toMatch(/0\.\.65535/);
  });

  it('inbound packets must give a window (tcp_packet.c)', () => {
    const e = parseErr('0 < . 1:1(0) ack 1 <nop,nop,TS val 1 ecr 2>');
    expect([e.column, e.found]).toEqual([20, "'<'"]);
    expect(e.expected).toMatch(/'win N'/);
    expect(packet('0 > . 1:1(0) ack 1').win).toBeUndefined();
  });

  it('options must pad to 4 bytes and fit in 40 (tcp_packet.c)', () => {
    const e = parseErr('0 > S 0:0(0) win 1 <mss 1460,nop>');
    expect([e.column, e.found]).toEqual([20, '5 bytes']);
    expect(parseErr('0 > S 0:0(0) win 1 <sack 1:2 3:4 5:6 7:8 9:10, nop, nop>').found).toBe('44 bytes');
  });

  it('out-of-range window and sequence numbers', () => {
    const w = parseErr('0 < . 1:1(0) ack 1 win 65536');
    expect([w.column, w.found]).toEqual([24, '65536']);
    expect(w.expected).toMatch(/0\.\.65535/);
    const s = parseErr('0 < S 4294967296:4294967296(0) win 1');
    expect(s.column).toBe(7);
  });

  it('unknown TCP option', () => {
    const e = parseErr('0 > S 0:0(0) win 1 <mss 1460, bogus 3>');
    expect([e.column, e.found]).toEqual([31, "'bogus'"]);
  });

  it('missing flags', () => {
    const e = parseErr('0 > 0:0(0) win 1');
    expect([e.column, e.expected]).toEqual([5, "TCP flags (letters from 'FSRPEWAU', '.' or '-')"]);
  });

  it('letters outside FSRPEWAU are not flags', () => {
    const e = parseErr('0 > SX 0:0(0)');
    expect([e.column, e.found]).toEqual([5, "'SX'"]);
  });

  it('TS without ecr', () => {
    const e = parseErr('0 > S 0:0(0) <TS val 1>');
    expect([e.column, e.expected, e.found]).toEqual([23, "'ecr'", "'>'"]);
  });

  it('unterminated string, command, comment and code block report where they start', () => {
    expect(parseErr('0 f("abc) = 0').column).toBe(5);
    const b = parseErr('\n+0 `sysctl -w x');
    expect([b.line, b.column, b.found]).toEqual([2, 4, 'end of input']);
    expect(parseErr('0 close(3) = 0 /* open').column).toBe(16);
    expect(parseErr('0 %{ assert x == 1 ').column).toBe(3);
  });

  it('an event with no body', () => {
    const e = parseErr('+0.1\n');
    expect([e.line, e.column, e.found]).toEqual([2, 1, 'end of input']);
  });

  it('an event with no time', () => {
    const e = parseErr('close(3) = 0');
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.expected).toMatch(/event time/);
  });

  it('deep nesting is refused, not a stack overflow', () => {
    const e = parseErr(`0 f(${'['.repeat(5000)}1${']'.repeat(5000)}) = 0`);
    expect(e.expected).toMatch(/nested/);
  });
});

describe('never throws anything but a ParseError', () => {
  const alphabet = fc.constantFrom(
    ...'<>[](){}.,:;|=+-*~`"%#/\\ \t\n0123456789abcxyzSFRPEWAU.'.split(''),
    '...', '//', '/*', '*/', '%{', '}%', 'ack ', 'win ', 'TS val ', ' ecr ', 'mss ', 'sack ', '#ifdef X\n', '#endif\n',
    '0x', '--mtu=', '-D ', 'close(', ') = ',
  );
  const check = (text: string): void => {
    const r = parseScript(text, { file: 'fuzz.pkt' });
    if (r instanceof ParseError) {
      const lines = text.split('\n');
      expect(r.line).toBeGreaterThanOrEqual(1);
      expect(r.line).toBeLessThanOrEqual(lines.length);
      expect(r.column).toBeGreaterThanOrEqual(1);
      expect(r.column).toBeLessThanOrEqual(lines[r.line - 1]!.length + 1);
      expect(r.message.startsWith(`fuzz.pkt:${r.line}:${r.column}: expected `)).toBe(true);
    } else {
      expect(Array.isArray(r.events)).toBe(true);
    }
  };

  it('random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => { check(s); }), { numRuns: 3000 });
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 80 }), (parts) => { check(parts.join('')); }), { numRuns: 5000 });
  });

  const lines = [
    '+0.00 > S  0:0(0)       win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>',
    '+0.10 < SF 0:3(3)       win 32767 <mss 1460,sackOK,eol,eol>',
    '+0.00 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0',
    '+0.00 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0',
    ' 1.00...6.00 connect(3, ..., ...) = -1 ETIMEDOUT (Operation timed out)',
    '+0.00 > [ect0] P. 1:11(10) ack 1',
    '*      > S  0:0(0) win 65535 <...>',
    '+0.00 %{ assert tcpi_state == TCPI_SYN_RECEIVED }%',
    '+ 0.00 `sysctl -w net.inet.tcp.sack.enable=1`',
    '+0.00 > S.     ...(0)     ack 65537 win 65535 <mss 1460,sackOK,eol,eol>',
    '0 poll([{fd=3, events=POLLIN, revents=0}], 1, 0) = 1',
  ];
  it('mutated corpus lines', () => {
    const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.string({ maxLength: 3 }));
    fc.assert(fc.property(fc.constantFrom(...lines), fc.array(mutation, { minLength: 1, maxLength: 4 }), (line, muts) => {
      let s = line;
      for (const [at, op, ins] of muts) {
        const i = at % (s.length + 1);
        if (op === 0) s = s.slice(0, i) + s.slice(i + 1);
        else if (op === 1) s = s.slice(0, i) + ins + s.slice(i);
        else s = s.slice(0, i) + ins + s.slice(i + ins.length);
      }
      check(`--ip_version=ipv4\n${s}\n+0 close(3) = 0\n`);
    }), { numRuns: 10000 });
  });
});
