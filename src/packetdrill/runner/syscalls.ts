/**
 * Script syscalls on the socket core (src/socket/core.ts), with packetdrill's
 * semantics: script fds map to live fds, `...` arguments are filled with the
 * script's defaults (bind → 192.168.0.1:8080, connect → 192.0.2.1:8080,
 * buffers of zero bytes), results are `= value [ERRNO]`, values by pointer
 * (`[v]`) are compared after getsockopt, and a call on a blocking socket that
 * would sleep blocks: with `t1...t2` the script goes on and the call must
 * return at t2; without, the script waits for it.
 *
 * The core never sleeps (it answers EAGAIN / EINPROGRESS); blocking is done
 * here by retrying the call after every clock event until it stops answering
 * "would block".
 *
 * Owns: the syscall table and argument decoding. Must not: implement socket
 * behaviour (the core and TCP do), or read the wall clock.
 */
import type { Event, Expr, Syscall } from '../ast.js';
import { Errno, errnoName } from '../../socket/errno.js';
import { F_GETFL, F_SETFL, O_NONBLOCK } from '../../socket/options.js';
import { TcpSocket } from '../../socket/tcp-socket.js';
import { NS_PER_MS, NS_PER_S } from '../../time/clock.js';
import { describeExpr, evalInt, EvalError, field, SCRIPT_O_NONBLOCK, SCRIPT_O_RDWR, unwrap } from './symbols.js';
import { LOCAL_IP, REMOTE_EPHEMERAL_PORT, REMOTE_IP, SCRIPT_PORT, sec, type Run } from './runner.js';

/** SO_RCVBUF/SO_SNDBUF values within this much of the script's are "rounding" (portable forgives). */
const BUF_ROUNDING = (expected: number): number => Math.max(2048, Math.ceil(expected * 0.05));
const BLOCK_LIMIT_NS = 600 * NS_PER_S;

type Handler = (sc: Syscall) => Outcome;
/** A call's outcome: a result now, or "would block" with the retry to run later. */
type Outcome = { readonly result: number; readonly after?: (r: number) => void } | { readonly block: () => number | null; readonly after?: (r: number) => void };

export class SyscallRunner {
  /** Script fd → live fd. */
  private readonly fds = new Map<number, number>();
  /** The socket under test is listening (an inbound SYN opens a child). */
  listening = false;
  /** The socket under test called connect (its first SYN tells the local port). */
  connecting = false;
  /** Script fd of the socket under test (TCP_INFO asserts read it). */
  sutFd = -1;
  private readonly table: Record<string, Handler>;

  constructor(private readonly r: Run) {
    this.table = {
      socket: (sc) => this.socket(sc),
      bind: (sc) => this.bind(sc),
      listen: (sc) => this.listen(sc),
      accept: (sc) => this.accept(sc),
      connect: (sc) => this.connect(sc),
      read: (sc) => this.recv(sc, this.intArg(sc, 2)),
      recv: (sc) => this.recv(sc, this.intArg(sc, 2)),
      recvfrom: (sc) => this.recv(sc, this.intArg(sc, 2)),
      readv: (sc) => this.recv(sc, this.iovLen(sc)),
      write: (sc) => this.send(sc, this.intArg(sc, 2)),
      send: (sc) => this.send(sc, this.intArg(sc, 2)),
      sendto: (sc) => this.send(sc, this.intArg(sc, 2)),
      writev: (sc) => this.send(sc, this.iovLen(sc)),
      close: (sc) => this.close(sc),
      shutdown: (sc) => ({ result: this.r.core.shutdown(this.fd(sc), this.intArg(sc, 1)) }),
      setsockopt: (sc) => this.setsockopt(sc),
      getsockopt: (sc) => this.getsockopt(sc),
      fcntl: (sc) => this.fcntl(sc),
      poll: (sc) => this.poll(sc),
    };
  }

  /** Run one syscall event; `end` is the `...t2` return time (ns) of a blocking call. */
  run(ev: Event, sc: Syscall, end: number | null): void {
    const h = this.table[sc.name];
    if (h === undefined) this.r.unsupported(`syscall ${sc.name}()`);
    let out: Outcome;
    try {
      out = h(sc);
    } catch (e) {
      if (e instanceof EvalError) this.r.unsupported(`${sc.name}() argument: ${e.message}`);
      throw e;
    }
    const start = this.r.clock.now();
    if (this.r.verbose) this.r.trace(`${sc.name}(${sc.args.map(describeExpr).join(', ')})${'block' in out ? ' blocks' : ` = ${show(out.result)}`}`);
    if ('result' in out) {
      if (end !== null) this.r.fail('timing', `${sc.name}() returned at once, expected to block until ${sec(end)} s`, false);
      this.check(sc, out.result);
      out.after?.(out.result);
      return;
    }
    const finish = (r: number): void => {
      if (this.r.verbose) this.r.trace(`${sc.name}() returned ${show(r)}`);
      this.check(sc, r);
      out.after?.(r);
    };
    if (end !== null) {
      this.r.pending.push({ event: ev, start, end, retry: out.block, finish });
      return;
    }
    // No `...t2`: the script waits for the call, which must return within tolerance.
    let r: number | null = null;
    const done = this.r.runUntil(() => (r = out.block()) !== null, start + BLOCK_LIMIT_NS);
    if (!done || r === null) {
      this.r.fail('syscall', `${sc.name}() blocked and never returned`, false);
      return;
    }
    const tol = this.r.toleranceNsValue;
    if (this.r.clock.now() - start > tol) {
      this.r.fail('timing', `${sc.name}() blocked until ${sec(this.r.clock.now())} s; without "...t2" it must return by ${sec(start + tol)} s`, false);
    }
    finish(r);
  }

  /** Close every socket the script left open (packetdrill's teardown). */
  closeAll(): void {
    for (const live of this.fds.values()) this.r.core.close(live);
    this.fds.clear();
  }

  /** The live fd of a script fd (a fd the script never opened stays as written, so EBADF follows). */
  liveFd(scriptFd: number): number {
    return this.fds.get(scriptFd) ?? scriptFd;
  }

  // ------------------------------------------------------------------ result checks

  private check(sc: Syscall, r: number): void {
    const exp = sc.result;
    if (exp.kind === 'ellipsis') return;
    const want = evalInt(exp);
    if (r >= 0) {
      if (want !== r) this.r.fail('syscall', `${sc.name}() returned ${r}, expected ${describeResult(sc)}`, false);
      return;
    }
    const name = errnoName(r);
    if (want !== -1 || sc.errno === undefined) {
      this.r.fail('syscall', `${sc.name}() returned -1 ${name}, expected ${describeResult(sc)}`, false);
      return;
    }
    if (!sameErrno(sc.errno, name)) this.r.fail('syscall', `${sc.name}() failed with errno ${name}, expected ${sc.errno}`, false);
  }

  // ------------------------------------------------------------------ helpers

  private arg(sc: Syscall, i: number): Expr {
    const a = sc.args[i];
    if (a === undefined) throw new EvalError(`${sc.name}() needs argument ${i + 1}`);
    return a;
  }

  private intArg(sc: Syscall, i: number): number {
    return evalInt(this.arg(sc, i));
  }

  private fd(sc: Syscall): number {
    return this.liveFd(this.intArg(sc, 0));
  }

  private iovLen(sc: Syscall): number {
    const iov = this.arg(sc, 1);
    if (iov.kind !== 'array') throw new EvalError('iov must be an array of {iov_base, iov_len}');
    let n = 0;
    for (const item of iov.items) {
      const len = field(item, 'iov_len');
      if (len === undefined) throw new EvalError('iov element without iov_len');
      n += evalInt(len);
    }
    return n;
  }

  private blocking(fd: number): boolean {
    const s = this.r.core.get(fd);
    return s !== undefined && (s.flags & O_NONBLOCK) === 0;
  }

  /** `{sin_port=htons(p), sin_addr=inet_addr("a")}` or `...` → [addr, port]. */
  private sockaddr(e: Expr, dflt: [string, number]): [string, number] {
    if (e.kind === 'ellipsis') return dflt;
    const port = field(e, 'sin_port');
    const addr = field(e, 'sin_addr');
    let a = dflt[0];
    if (addr !== undefined) {
      if (addr.kind === 'call' && addr.args[0]?.kind === 'string') a = addr.args[0].value;
      else if (addr.kind === 'address') a = addr.value;
      else if (addr.kind === 'symbol' && addr.name === 'INADDR_ANY') a = '0.0.0.0';
    }
    return [a, port !== undefined ? evalInt(port) : dflt[1]];
  }

  // ------------------------------------------------------------------ calls

  private socket(sc: Syscall): Outcome {
    const type = this.intArg(sc, 1);
    if (type !== 1) this.r.unsupported(`socket() of type ${describeExpr(this.arg(sc, 1))} (TCP only)`);
    const r = this.r.core.socket('tcp');
    return {
      result: r,
      after: (fd) => {
        if (fd < 0 || sc.result.kind !== 'int') return;
        this.fds.set(sc.result.value, fd);
        this.sutFd = sc.result.value;
        this.listening = false;
        this.connecting = false;
        this.r.tuple.localPort = SCRIPT_PORT;
        this.r.tuple.remotePort = REMOTE_EPHEMERAL_PORT;
      },
    };
  }

  private bind(sc: Syscall): Outcome {
    const [a, p] = this.sockaddr(this.arg(sc, 1), [LOCAL_IP, SCRIPT_PORT]);
    const r = this.r.core.bind(this.fd(sc), a, p);
    return { result: r, after: (x) => void (x === 0 && (this.r.tuple.localPort = p)) };
  }

  private listen(sc: Syscall): Outcome {
    const r = this.r.core.listen(this.fd(sc), this.intArg(sc, 1));
    return { result: r, after: (x) => void (x === 0 && this.intArg(sc, 0) === this.sutFd && (this.listening = true)) };
  }

  private accept(sc: Syscall): Outcome {
    const fd = this.fd(sc);
    const after = (r: number): void => {
      if (r < 0 || sc.result.kind !== 'int') return;
      this.fds.set(sc.result.value, r);
      this.sutFd = sc.result.value;
      this.listening = false;
    };
    const r = this.r.core.accept(fd);
    if (r === Errno.EAGAIN && this.blocking(fd)) return { block: () => nullIfAgain(this.r.core.accept(fd)), after };
    return { result: r, after };
  }

  private connect(sc: Syscall): Outcome {
    const fd = this.fd(sc);
    const [a, p] = this.sockaddr(this.arg(sc, 1), [REMOTE_IP, SCRIPT_PORT]);
    const core = this.r.core;
    const r = core.connect(fd, a, p);
    if (r === 0 || r === Errno.EINPROGRESS) {
      this.connecting = true;
      this.listening = false;
      this.r.tuple.remotePort = p;
      const name = { addr: 0, port: 0 };
      if (core.getsockname(fd, name) === 0 && name.port !== 0) this.r.tuple.localPort = name.port;
    }
    if (r === Errno.EINPROGRESS && this.blocking(fd)) {
      return {
        block: () => {
          const x = core.connect(fd, a, p);
          return x === Errno.EALREADY || x === Errno.EINPROGRESS ? null : x;
        },
      };
    }
    return { result: r };
  }

  private recv(sc: Syscall, len: number): Outcome {
    const fd = this.fd(sc);
    const buf = new Uint8Array(Math.max(0, len));
    const core = this.r.core;
    const r = core.recv(fd, buf, 0, buf.length);
    if (r === Errno.EAGAIN && this.blocking(fd)) return { block: () => nullIfAgain(core.recv(fd, buf, 0, buf.length)) };
    return { result: r };
  }

  private send(sc: Syscall, len: number): Outcome {
    const fd = this.fd(sc);
    const buf = new Uint8Array(Math.max(0, len));
    const core = this.r.core;
    let sent = core.send(fd, buf, 0, buf.length);
    if (!this.blocking(fd) || (sent !== Errno.EAGAIN && (sent < 0 || sent === len))) return { result: sent };
    // A blocking write returns once every byte is queued (or with the first error).
    if (sent === Errno.EAGAIN) sent = 0;
    return {
      block: () => {
        const r = core.send(fd, buf, sent, len - sent);
        if (r === Errno.EAGAIN) return null;
        if (r < 0) return sent > 0 ? sent : r;
        sent += r;
        return sent === len ? sent : null;
      },
    };
  }

  private close(sc: Syscall): Outcome {
    const scriptFd = this.intArg(sc, 0);
    const r = this.r.core.close(this.liveFd(scriptFd));
    return { result: r, after: (x) => void (x === 0 && this.fds.delete(scriptFd)) };
  }

  private optNames(sc: Syscall): [string, string] {
    const l = unwrap(this.arg(sc, 1));
    const n = unwrap(this.arg(sc, 2));
    if (l.kind !== 'symbol' || n.kind !== 'symbol') throw new EvalError('socket option level and name must be symbols');
    return [l.name, n.name];
  }

  private setsockopt(sc: Syscall): Outcome {
    const fd = this.fd(sc);
    const [level, name] = this.optNames(sc);
    const v = this.arg(sc, 3);
    const core = this.r.core;
    if (level === 'IPPROTO_TCP' && (name === 'TCP_NOOPT' || name === 'TCP_KEEPINIT')) {
      // FreeBSD options the socket core does not name: applied to the endpoint directly.
      const s = core.get(fd);
      if (!(s instanceof TcpSocket)) return { result: Errno.EBADF };
      const n = evalInt(v);
      if (name === 'TCP_KEEPINIT') return { result: n < 0 ? Errno.EINVAL : s.ep.setOption('connectTimeout', n * NS_PER_S) };
      // TCP_NOOPT (FreeBSD TF_NOOPT): no options at all on the SYN — MSS, window scale, timestamps, SACK-permitted.
      const on = n === 0;
      const r = s.ep.setOption('sack', on);
      return { result: r < 0 ? r : Math.min(0, s.ep.setOption('timestamps', on), s.ep.setOption('windowScaling', on), s.ep.setOption('mssOption', on)) };
    }
    if (name === 'SO_LINGER') {
      const onoff = field(v, 'l_onoff') ?? field(v, 'onoff');
      const linger = field(v, 'l_linger') ?? field(v, 'linger');
      if (onoff === undefined || linger === undefined) throw new EvalError('SO_LINGER needs {onoff, linger}');
      return { result: core.setsockopt(fd, level, name, { onoff: evalInt(onoff) !== 0, linger: evalInt(linger) }) };
    }
    if (name === 'TCP_USER_TIMEOUT' || name === 'TCP_NODELAY' || name.startsWith('SO_') || name.startsWith('TCP_')) {
      const r = core.setsockopt(fd, level, name, evalInt(v));
      if (r === Errno.ENOPROTOOPT) this.r.unsupported(`setsockopt ${level} ${name}`);
      return { result: r };
    }
    this.r.unsupported(`setsockopt ${level} ${name}`);
  }

  private getsockopt(sc: Syscall): Outcome {
    const fd = this.fd(sc);
    const [level, name] = this.optNames(sc);
    const value = this.r.core.getsockopt(fd, level, name);
    if (typeof value === 'number' && value < 0) {
      if (value === Errno.ENOPROTOOPT) this.r.unsupported(`getsockopt ${level} ${name}`);
      return { result: value };
    }
    const want = unwrap(this.arg(sc, 3));
    return {
      result: 0,
      after: () => {
        if (want.kind === 'ellipsis') return;
        if (name === 'SO_ERROR') {
          const actual = value === 0 ? '0' : errnoName(value as number);
          const expected = want.kind === 'symbol' ? want.name : String(evalInt(want));
          if (!(actual === expected || sameErrno(expected, actual))) this.r.fail('syscall', `getsockopt(SO_ERROR) gave ${actual}, expected ${expected}`, false);
          return;
        }
        if (typeof value !== 'number') {
          if (name === 'SO_LINGER' && typeof value === 'object' && value !== null && 'onoff' in value) {
            const l = value as unknown as { onoff: boolean | number; linger: number };
            const eo = field(want, 'l_onoff') ?? field(want, 'onoff');
            const el = field(want, 'l_linger') ?? field(want, 'linger');
            if ((eo !== undefined && evalInt(eo) !== (l.onoff ? 1 : 0)) || (el !== undefined && evalInt(el) !== l.linger)) {
              this.r.fail('syscall', `getsockopt(SO_LINGER) gave {onoff=${l.onoff ? 1 : 0}, linger=${l.linger}}, expected ${describeExpr(want)}`, false);
            }
            return;
          }
          this.r.unsupported(`getsockopt ${level} ${name} value comparison`);
        }
        const n = value as number;
        const e = evalInt(want);
        if (n === e) return;
        const rounding = (name === 'SO_RCVBUF' || name === 'SO_SNDBUF') && Math.abs(n - e) <= BUF_ROUNDING(e);
        this.r.fail('syscall', `getsockopt(${name}) gave ${n}, expected ${e}`, rounding, undefined, undefined, rounding ? `${name} rounding` : undefined);
      },
    };
  }

  private fcntl(sc: Syscall): Outcome {
    const fd = this.fd(sc);
    const cmd = this.intArg(sc, 1);
    const core = this.r.core;
    if (cmd === 3 /* F_GETFL */) {
      const r = core.fcntl(fd, F_GETFL);
      return { result: r < 0 ? r : SCRIPT_O_RDWR | ((r & O_NONBLOCK) !== 0 ? SCRIPT_O_NONBLOCK : 0) };
    }
    if (cmd === 4 /* F_SETFL */) {
      const flags = this.intArg(sc, 2);
      return { result: core.fcntl(fd, F_SETFL, (flags & SCRIPT_O_NONBLOCK) !== 0 ? O_NONBLOCK : 0) };
    }
    this.r.unsupported(`fcntl command ${describeExpr(this.arg(sc, 1))}`);
  }

  /** poll([{fd, events, revents}], n, timeout_ms): ready count; blocks up to the timeout. */
  private poll(sc: Syscall): Outcome {
    const list = this.arg(sc, 0);
    if (list.kind !== 'array') throw new EvalError('poll() needs an array of pollfd');
    const timeout = this.intArg(sc, 2);
    const core = this.r.core;
    const entries = list.items.map((it) => {
      const fdE = field(it, 'fd');
      const ev = field(it, 'events');
      if (fdE === undefined || ev === undefined) throw new EvalError('pollfd needs fd and events');
      const rev = field(it, 'revents');
      return { fd: this.liveFd(evalInt(fdE)), events: evalInt(ev), revents: rev === undefined ? null : evalInt(rev) };
    });
    // POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL have the same values on Linux and FreeBSD.
    const ready = (): number[] => entries.map((e) => core.poll(e.fd) & (e.events | 0x8 | 0x10 | 0x20));
    const after = (): void => {
      const got = ready();
      entries.forEach((e, i) => {
        if (e.revents !== null && e.revents !== got[i]) this.r.fail('syscall', `poll() revents of fd ${e.fd} is 0x${got[i]!.toString(16)}, expected 0x${e.revents.toString(16)}`, false);
      });
    };
    const count = (): number => ready().filter((x) => x !== 0).length;
    const n = count();
    if (n > 0 || timeout === 0) return { result: n, after };
    const deadline = this.r.clock.now() + (timeout < 0 ? BLOCK_LIMIT_NS : timeout * NS_PER_MS);
    // A clock event at the deadline, so the blocked poll is retried (and times out) exactly then.
    if (timeout > 0) this.r.clock.createTimer(() => undefined, null).arm(deadline);
    return {
      block: () => {
        const c = count();
        return c > 0 ? c : this.r.clock.now() >= deadline ? 0 : null;
      },
      after,
    };
  }
}

function nullIfAgain(r: number): number | null {
  return r === Errno.EAGAIN ? null : r;
}

/** FreeBSD's EWOULDBLOCK is EAGAIN. */
function sameErrno(a: string, b: string): boolean {
  const norm = (x: string): string => (x === 'EWOULDBLOCK' ? 'EAGAIN' : x);
  return norm(a) === norm(b);
}

function show(r: number): string {
  return r >= 0 ? String(r) : `-1 ${errnoName(r)}`;
}

function describeResult(sc: Syscall): string {
  return `${describeExpr(sc.result)}${sc.errno !== undefined ? ` ${sc.errno}` : ''}`;
}
