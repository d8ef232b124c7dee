/**
 * Every script of the shared FreeBSD packetdrill corpus (../shared/packetdrill
 * relative to the repository root) parses, every timed line becomes an event,
 * and a few scripts are checked in detail.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ParseError, parseScript, type Packet, type ParseOptions, type Script } from '../../src/packetdrill/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusDir = resolve(repoRoot, '../shared/packetdrill');
const present = existsSync(corpusDir);
if (!present) console.log(`packetdrill corpus tests skipped: ${corpusDir} does not exist`);

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.pkt')) out.push(p);
    }
  };
  walk(corpusDir);
  return out;
}

function load(rel: string, opts: ParseOptions = {}): Script {
  const r = parseScript(readFileSync(join(corpusDir, rel), 'utf8'), { file: rel, ...opts });
  if (r instanceof ParseError) throw new Error(r.message);
  return r;
}

const packets = (s: Script): Packet[] => s.events.flatMap((e) => (e.body.kind === 'packet' ? [e.body] : []));
const BOTH = { defines: { STANDARD: '1', FreeBSD: '1' } };

describe.skipIf(!present)('FreeBSD packetdrill corpus', () => {
  it('parses all 343 scripts without error', () => {
    const files = corpusFiles();
    const failures: string[] = [];
    for (const f of files) {
      const r = parseScript(readFileSync(f, 'utf8'), { file: relative(corpusDir, f) });
      if (r instanceof ParseError) failures.push(r.message);
    }
    console.log(`packetdrill corpus: parsed ${files.length - failures.length} of ${files.length} scripts`);
    expect(failures).toEqual([]);
    expect(files).toHaveLength(343);
  });

  it('every timed line becomes exactly one event (with both #ifdef branches kept)', () => {
    let total = 0;
    for (const f of corpusFiles()) {
      const text = readFileSync(f, 'utf8');
      const timedLines = text.split('\n').filter((l) => /^\s*(\+|\*|[0-9.])/.test(l)).length;
      const r = parseScript(text, { file: f, ...BOTH });
      if (r instanceof ParseError) throw new Error(r.message);
      expect(r.events.length, f).toBe(timedLines);
      expect(r.options.get('ip_version'), f).toBe('ipv4');
      expect(Number(r.options.get('tolerance_usecs')), f).toBeGreaterThan(0);
      expect(r.initCommand, f).toBeUndefined();
      expect(r.cleanupCommand, f).toBeUndefined();
      total += r.events.length;
    }
    expect(total).toBeGreaterThan(8000);
  });

  it('rcv-syn-fin-with-data-syn-sent-dropping-enabled: events, options, times', () => {
    const s = load('state-event-engine/rcv-syn-fin-syn-sent/rcv-syn-fin-with-data-syn-sent-dropping-enabled-ipv4.pkt');
    expect([...s.options]).toEqual([['ip_version', 'ipv4'], ['tolerance_usecs', '75000']]);
    expect(s.events).toHaveLength(27);
    expect(s.events.filter((e) => e.body.kind === 'command')).toHaveLength(11);
    const connect = s.events.find((e) => e.body.kind === 'syscall' && e.body.name === 'connect')!;
    expect(connect.time).toEqual({ kind: 'absolute', usecs: 1_000_000 });
    expect(connect.body).toMatchObject({ errno: 'EINPROGRESS', note: 'Operation now in progress', result: { value: -1 } });
    const [syn, synFin, synRtx] = packets(s);
    expect(syn).toEqual({
      kind: 'packet', direction: '>', flags: 'S', seq: { start: 0, end: 0, len: 0 }, win: 65535,
      options: [
        { kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'wscale', value: 6 }, { kind: 'sackOK' },
        { kind: 'timestamp', val: 100, ecr: 0 },
      ],
    });
    expect(synFin).toMatchObject({ direction: '<', flags: 'SF', seq: { start: 0, end: 3, len: 3 }, win: 32767 });
    expect(synFin!.options).toEqual([{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'eol' }, { kind: 'eol' }]);
    expect(synRtx!.options).toContainEqual({ kind: 'timestamp', val: 1100, ecr: 0 });
    const last = s.events[s.events.length - 1]!;
    expect(last.body).toEqual({ kind: 'command', command: 'sysctl -w net.inet.tcp.drop_synfin=0' });
  });

  it('snd-syn-rtx-keepinit: a blocking connect with an absolute end time', () => {
    const s = load('snd-syn/snd-syn-rtx-keepinit-ipv4.pkt');
    const connect = s.events.find((e) => e.endTime !== undefined)!;
    expect(connect.time).toEqual({ kind: 'absolute', usecs: 1_000_000 });
    expect(connect.endTime).toEqual({ usecs: 6_000_000 });
    expect(connect.body).toMatchObject({ kind: 'syscall', name: 'connect', errno: 'ETIMEDOUT' });
    expect(packets(s).map((p) => p.options !== 'any' && p.options?.find((o) => o.kind === 'timestamp')))
      .toEqual([{ kind: 'timestamp', val: 100, ecr: 0 }, { kind: 'timestamp', val: 1100, ecr: 0 }, { kind: 'timestamp', val: 3300, ecr: 0 }]);
  });

  it('snd-syn-rtx-max-number: * times with <...> options', () => {
    const s = load('snd-syn/snd-syn-rtx-max-number-ipv4.pkt');
    const any = s.events.filter((e) => e.time.kind === 'any');
    expect(any.length).toBeGreaterThan(0);
    for (const e of any) expect(e.body).toMatchObject({ kind: 'packet', direction: '>', flags: 'S', options: 'any' });
  });

  it('syn-rcvd-via-syn-sent-ecn11: ECN flags, IP info, code assert, write with a space', () => {
    const s = load('snippets/syn-rcvd-via-syn-sent-ipv4-ecn11.pkt');
    expect(packets(s).map((p) => p.flags)).toEqual(['SEW', 'SEW', 'SE.', '.', 'P.']);
    expect(packets(s).map((p) => p.ipInfo?.ecn)).toEqual([undefined, undefined, undefined, 'noecn', 'ect0']);
    const data = packets(s)[4]!;
    expect(data).toEqual({
      kind: 'packet', direction: '>', ipInfo: { ecn: 'ect0' }, flags: 'P.', seq: { start: 1, end: 11, len: 10 }, ack: 1, options: null,
    });
    const code = s.events.find((e) => e.body.kind === 'code')!;
    expect(code.body).toMatchObject({ asserts: [{ lhs: 'tcpi_state', op: '==', rhs: 'TCPI_SYN_RECEIVED' }] });
    expect(s.events.find((e) => e.body.kind === 'syscall' && e.body.name === 'write')).toBeDefined();
  });

  it('#ifdef STANDARD / FreeBSD branches, and ...(0) in the FreeBSD one', () => {
    const rel = 'state-event-engine/rcv-syn-fin-time-wait/rcv-syn-fin-time-wait-using-shutdown-right-edge-insecure-nodrop-ipv4.pkt';
    const none = load(rel);
    const std = load(rel, { defines: { STANDARD: '1' } });
    const bsd = load(rel, { defines: { FreeBSD: '1' } });
    expect(std.events.length - none.events.length).toBe(2);
    expect(bsd.events.length - none.events.length).toBe(1);
    expect(std.conditionals.map((c) => [c.name, c.taken])).toEqual([['STANDARD', true], ['FreeBSD', false]]);
    expect(packets(std).some((p) => p.flags === 'R.' && p.win === 0)).toBe(true);
    const synAck = packets(bsd).find((p) => p.seq.start === null)!;
    expect(synAck).toMatchObject({ flags: 'S.', seq: { start: null, end: null, len: 0 }, ack: 65537, win: 65535 });
  });

  it('a corrupted corpus script reports the exact line and column', () => {
    const rel = 'snippets/syn-rcvd-via-syn-sent-ipv4-ecn11.pkt';
    const lines = readFileSync(join(corpusDir, rel), 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('+0.00 > [ect0] P. 1:11(10) ack 1'));
    expect(at).toBeGreaterThan(0);
    lines[at] = '+0.00 > [ect0] P. 1:11(10) ack win 1';
    const e = parseScript(lines.join('\n'), { file: 'ecn11.pkt' });
    expect(e).toBeInstanceOf(ParseError);
    const err = e as ParseError;
    expect(err.code).toBe('EPKTPARSE');
    expect(err.message).toBe(`ecn11.pkt:${at + 1}:32: expected an ack number after 'ack' but found 'win'`);
    lines[at] = '+0.00 write(3, ..., 10 = 10';
    const e2 = parseScript(lines.join('\n'), { file: 'ecn11.pkt' }) as ParseError;
    expect(e2.message).toBe(`ecn11.pkt:${at + 1}:24: expected ',' or ')' but found '='`);
  });

  it('the corpus uses every construct the parser exists for', () => {
    const seen = new Set<string>();
    for (const f of corpusFiles()) {
      const r = parseScript(readFileSync(f, 'utf8'), { file: f, ...BOTH });
      if (r instanceof ParseError) throw new Error(r.message);
      for (const e of r.events) {
        seen.add(`time:${e.time.kind}`);
        if (e.endTime) seen.add('blocking');
        seen.add(`body:${e.body.kind}`);
        if (e.body.kind === 'packet') {
          if (e.body.ipInfo) seen.add('ipInfo');
          if (e.body.options === 'any') seen.add('options:any');
          if (e.body.seq.start === null) seen.add('seq:any');
          if (Array.isArray(e.body.options)) for (const o of e.body.options) seen.add(`opt:${o.kind}`);
        }
        if (e.body.kind === 'syscall') {
          if (e.body.errno) seen.add('errno');
          for (const a of e.body.args) seen.add(`arg:${a.kind}`);
        }
      }
      if (r.conditionals.length > 0) seen.add('ifdef');
    }
    expect([...seen].sort()).toEqual([
      'arg:array', 'arg:ellipsis', 'arg:int', 'arg:or', 'arg:symbol', 'blocking',
      'body:code', 'body:command', 'body:packet', 'body:syscall', 'errno', 'ifdef', 'ipInfo',
      'opt:eol', 'opt:mss', 'opt:nop', 'opt:sackOK', 'opt:timestamp', 'opt:wscale', 'options:any',
      'seq:any', 'time:absolute', 'time:any', 'time:relative',
    ]);
  });
});
