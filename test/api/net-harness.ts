// Harness for running the same node:net scenario against Node's kernel sockets
// (127.0.0.1) and against stack.net (two zerostack stacks joined by the
// in-process pair, on a RealClock, or one stack over its own loopback), recording
// what each socket emits as strings so that runs compare exactly.
import { spawn, type ChildProcess } from 'node:child_process';
import nodeNet from 'node:net';
import type { EventEmitter } from 'node:events';
import { twoStacks } from '../../examples/lib/two-stacks.js';
import { Stack, getDefaultPool } from '../../src/stack.js';
import { RealClock } from '../../src/time/real-clock.js';
import type { NetModule } from '../../src/api/net/index.js';
import type { SocketCore } from '../../src/socket/core.js';

/** The part of node:net the scenarios use (both node:net and stack.net have it). */
export type NetLike = Pick<typeof nodeNet, 'createServer' | 'connect' | 'createConnection' | 'Socket' | 'isIP'>;

export interface Env {
  name: string;
  /** Where the server side listens. */
  serverNet: NetLike;
  /** Where the client side connects from. */
  clientNet: NetLike;
  /** The server's address as the client dials it. */
  host: string;
  /** A listener that never completes handshakes (SYNs dropped: accept queue full). */
  blackhole(): Promise<{ port: number; close(): void }>;
  close(): void;
}

export function nodeEnv(): Env {
  const children: ChildProcess[] = [];
  return {
    name: 'node:net',
    serverNet: nodeNet,
    clientNet: nodeNet,
    host: '127.0.0.1',
    async blackhole() {
      // A Node child listening with backlog 1 (0 would mean Node's default, 511), then stopped
      // (SIGSTOP) so that it never accepts: once its accept queue is full (two connections),
      // Linux drops further SYNs (tcp_conn_request → drop). No tool beyond Node is needed.
      const child = spawn(process.execPath, ['-e', "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))"]);
      children.push(child);
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
        child.once('error', reject);
      });
      child.kill('SIGSTOP');
      const fillers = [0, 1, 2].map(() => nodeNet.connect(port, '127.0.0.1').on('error', () => {}));
      await filled(fillers);
      return {
        port,
        close() {
          for (const f of fillers) f.destroy();
          child.kill('SIGKILL');
        },
      };
    },
    close() {
      for (const c of children) c.kill('SIGKILL');
    },
  };
}

/** Wait until a filler connection is established (the accept queue is then full), plus a margin for the others' SYNs. */
async function filled(fillers: EventEmitter[]): Promise<void> {
  await Promise.race([Promise.any(fillers.map((f) => new Promise((r) => f.once('connect', r)))), new Promise((r) => setTimeout(r, 2000))]);
  await new Promise((r) => setTimeout(r, 30));
}

/** A listener on the core that never accepts (the Server accepts automatically, so use the BSD calls). */
async function coreBlackhole(core: SocketCore, address: string, clientNet: NetLike, host: string) {
  const fd = core.socket('tcp');
  core.bind(fd, address, 0);
  core.listen(fd, 0);
  const out = { addr: 0, port: 0 };
  core.getsockname(fd, out);
  const fillers = [0, 1, 2].map(() => clientNet.connect(out.port, host).on('error', () => {}));
  await filled(fillers);
  return {
    port: out.port,
    close() {
      for (const f of fillers) f.destroy();
      core.close(fd);
    },
  };
}

/** Two stacks (10.0.0.1 client, 10.0.0.2 server) on one in-process pair, in real time (examples/lib/two-stacks.ts). */
export function pairEnv(opts: { tcp?: Record<string, unknown> } = {}): Env & { a: Stack; b: Stack; clock: RealClock } {
  const { client: a, server: b, clock, close } = twoStacks({ tcp: opts.tcp ?? {} });
  return {
    name: 'stack.net (pair)',
    a,
    b,
    clock,
    serverNet: b.net as unknown as NetLike,
    clientNet: a.net as unknown as NetLike,
    host: '10.0.0.2',
    blackhole: () => coreBlackhole(b.net.core, '10.0.0.2', a.net as unknown as NetLike, '10.0.0.2'),
    close,
  };
}

/** One stack talking to itself over 127.0.0.1 (the stack's loopback path). */
export function loopbackEnv(): Env & { s: Stack; clock: RealClock } {
  const clock = new RealClock();
  const s = new Stack({ clock, pool: getDefaultPool(), name: 'L' });
  return {
    name: 'stack.net (loopback)',
    s,
    clock,
    serverNet: s.net as unknown as NetLike,
    clientNet: s.net as unknown as NetLike,
    host: '127.0.0.1',
    blackhole: () => coreBlackhole(s.net.core, '127.0.0.1', s.net as unknown as NetLike, '127.0.0.1'),
    close() {
      s.close();
      clock.close();
    },
  };
}

export type StackNet = NetModule;

/**
 * Per-actor event logs. Consecutive 'data' events are merged into one entry
 * (chunk boundaries are the transport's business, not observable behaviour).
 */
export class Recorder {
  readonly logs: Record<string, string[]> = {};
  private readonly ports = new Set<number>();
  constructor(private readonly host: string) {}

  /** Treat `port` as a placeholder (servers get different ports per run). */
  port(p: number): void {
    this.ports.add(p);
  }

  note(actor: string, entry: string): void {
    const log = (this.logs[actor] ??= []);
    if (entry.startsWith('data(') && log.length > 0 && log[log.length - 1]!.startsWith('data(')) {
      log[log.length - 1] = `${log[log.length - 1]!.slice(0, -1)}${entry.slice(5)}`;
      return;
    }
    log.push(entry);
  }

  /** The error fields Node code looks at, with this run's host and ports replaced by placeholders. */
  describeError(e: unknown): string {
    const err = e as Record<string, unknown> & Error;
    const fields: Record<string, unknown> = { name: err.name, code: err.code, message: this.scrub(String(err.message)) };
    for (const k of ['errno', 'syscall', 'address', 'port']) if (k in err) fields[k] = this.scrubValue(err[k]);
    fields.keys = Object.keys(err).join(',');
    return JSON.stringify(fields);
  }

  private scrubValue(v: unknown): unknown {
    if (typeof v === 'number' && this.ports.has(v)) return 'PORT';
    if (v === this.host) return 'HOST';
    return v;
  }

  scrub(s: string): string {
    let out = s.split(this.host).join('HOST');
    for (const p of this.ports) out = out.split(`:${p}`).join(':PORT');
    return out;
  }

  /** Record the standard socket events of `s` under `actor`. */
  watch(actor: string, s: EventEmitter, events: readonly string[] = ['connect', 'ready', 'data', 'end', 'finish', 'close', 'error', 'timeout', 'drain']): void {
    for (const ev of events) {
      s.on(ev, (...args: unknown[]) => {
        if (ev === 'data') this.note(actor, `data(${String(args[0])})`);
        else if (ev === 'close') this.note(actor, `close(${String(args[0])})`);
        else if (ev === 'error') this.note(actor, `error${this.describeError(args[0])}`);
        else this.note(actor, ev);
      });
    }
  }
}

/** Resolve when `emitter` emits `event` (or reject after `ms` real milliseconds, naming what was awaited). */
export function once(emitter: EventEmitter, event: string, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for '${event}'`)), ms);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The thrown error of `f`, described (or 'no throw'). */
export function thrown(rec: Recorder, f: () => unknown): string {
  try {
    f();
    return 'no throw';
  } catch (e) {
    return rec.describeError(e);
  }
}
