/**
 * `%{ … }%` blocks: packetdrill runs them as Python over TCP_INFO. The runner
 * evaluates the simple `assert tcpi_FIELD OP VALUE` lines the parser extracted
 * against the socket core's info() of the socket under test (the last socket
 * created or accepted); any other Python makes the script unsupported.
 *
 * Owns: the tcpi_* field table and TCPI_* constants. Must not: run Python.
 */
import type { CodeBlock } from '../ast.js';
import type { TcpInfo } from '../../tcp/endpoint.js';
import { errnoName } from '../../socket/errno.js';
import type { Run } from './runner.js';

/** tcpi_* field → value from TcpInfo. */
const FIELDS: Readonly<Record<string, (i: TcpInfo) => number | string>> = {
  tcpi_state: (i) => `TCPI_${i.state.replace(/-/g, '_')}`,
  tcpi_options: (i) => i.options,
  tcpi_snd_wscale: (i) => i.sndWscale,
  tcpi_rcv_wscale: (i) => i.rcvWscale,
  tcpi_rto: (i) => Math.round(i.rto / 1000),
  tcpi_snd_mss: (i) => i.sndMss,
  tcpi_rcv_mss: (i) => i.rcvMss,
  tcpi_unacked: (i) => i.unacked,
  tcpi_retransmits: (i) => i.retransmits,
  tcpi_backoff: (i) => i.backoff,
  tcpi_snd_cwnd: (i) => i.sndCwnd,
  tcpi_snd_ssthresh: (i) => i.sndSsthresh,
  tcpi_rtt: (i) => Math.round(i.rtt / 1000),
  tcpi_rttvar: (i) => Math.round(i.rttvar / 1000),
  tcpi_total_retrans: (i) => i.totalRetrans,
};

/** Named constants usable on the right-hand side. */
const CONSTANTS: Readonly<Record<string, number>> = { TCPI_OPT_TIMESTAMPS: 1, TCPI_OPT_SACK: 2, TCPI_OPT_WSCALE: 4, TCPI_OPT_ECN: 8 };

export function runCodeBlock(run: Run, block: CodeBlock): void {
  if (block.other.length > 0) run.unsupported(`Python in %{ }%: ${block.other[0]}`);
  for (const a of block.asserts) {
    const get = FIELDS[a.lhs];
    if (get === undefined) run.unsupported(`%{ }% field ${a.lhs}`);
    const fd = run.syscalls.liveFd(run.syscalls.sutFd);
    const info = run.core.info(fd);
    if (typeof info === 'number') {
      run.fail('assert', `assert ${a.lhs} ${a.op} ${a.rhs}: TCP_INFO of fd ${run.syscalls.sutFd} failed with ${errnoName(info)}`, false);
      return;
    }
    const actual = get(info);
    const rhs: number | string = /^-?\d+$/.test(a.rhs) ? Number(a.rhs) : a.rhs.startsWith('0x') ? Number.parseInt(a.rhs, 16) : (CONSTANTS[a.rhs] ?? a.rhs);
    if (typeof rhs === 'string' && !a.rhs.startsWith('TCPI_')) run.unsupported(`%{ }% value ${a.rhs}`);
    if (!compare(actual, a.op, rhs)) run.fail('assert', `assert ${a.lhs} ${a.op} ${a.rhs} failed`, false, `${a.lhs} ${a.op} ${a.rhs}`, `${a.lhs} = ${actual}`);
  }
}

function compare(x: number | string, op: string, y: number | string): boolean {
  if (typeof x === 'string' || typeof y === 'string') {
    if (op === '==') return x === y;
    if (op === '!=') return x !== y;
    return false;
  }
  switch (op) {
    case '==': return x === y;
    case '!=': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    default: return x >= y;
  }
}
