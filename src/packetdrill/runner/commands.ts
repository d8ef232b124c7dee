/**
 * Backquoted shell commands of a script, as built-ins over the stack:
 *  - `sysctl -w name=value …`: the sysctl table (sysctl.ts) → TcpConfig;
 *  - `sockstat -4 -P tcp [-p PORT] -s | grep packetdril | grep -c STATE | grep N`:
 *    counts the stack's TCP sockets in STATE (FreeBSD names: SYN_RCVD,
 *    TIME_WAIT, …) and succeeds when the count contains N, as grep would;
 *    `grep packetdril` keeps the sockets the script holds a descriptor for;
 *  - `tcpdrop -s STATE`: drops every connection in STATE without sending anything
 *    (FreeBSD tcp_drop of a TIME_WAIT connection just frees it).
 * Anything else makes the script unsupported.
 *
 * Owns: parsing those command lines and their effect. Must not: run a shell.
 */
import type { Tcb } from '../../tcp/tcb.js';
import { TcpState, TCP_STATE_NAMES } from '../../tcp/tcb.js';
import type { Run } from './runner.js';
import { parseSysctl, sysctlEffect } from './sysctl.js';
import { TcpSocket } from '../../socket/tcp-socket.js';

/** FreeBSD tcpstates[] names. */
const BSD_STATE: readonly string[] = ['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'];

/**
 * Run one command. `beforeStack`: the leading sysctls are applied to the config
 * the stack will be built with (only sysctl is valid there).
 */
export function runCommand(run: Run, command: string, beforeStack: boolean): void {
  const line = command.trim();
  const assigns = parseSysctl(line);
  if (assigns !== null) {
    for (const { name, value } of assigns) {
      const eff = sysctlEffect(name, value);
      if (eff.kind === 'unsupported') run.unsupported(eff.what);
      if (eff.kind === 'config') Object.assign(run.tcpConfig, eff.config);
    }
    if (!beforeStack) run.reconfigure();
    return;
  }
  if (beforeStack) return; // not a sysctl: run in order once the stack exists
  const pipeline = line.split('|').map((s) => s.trim().split(/\s+/));
  const first = pipeline[0]!;
  if (first[0] === 'sockstat') return sockstat(run, line, pipeline);
  if (first[0] === 'tcpdrop' && first[1] === '-s' && first.length === 3 && pipeline.length === 1) return tcpdrop(run, first[2]!);
  run.unsupported(`command \`${line}\``);
}

interface Row {
  readonly state: string;
  readonly localPort: number;
  readonly remotePort: number;
  /** Held by a descriptor of the script's process ("packetdril" in sockstat). */
  readonly ours: boolean;
}

/** Every TCP socket and connection of the stack, as sockstat lists them. */
function rows(run: Run): Row[] {
  const out: Row[] = [];
  const seen = new Set<Tcb>();
  const core = run.core;
  for (let fd = 0; fd < 1024; fd++) {
    const s = core.get(fd);
    if (!(s instanceof TcpSocket)) continue;
    const t = s.ep.tcb;
    seen.add(t);
    out.push({ state: BSD_STATE[t.state]!, localPort: s.ep.localPort, remotePort: s.ep.remotePort, ours: true });
  }
  for (const t of run.stack.tcp.connections()) {
    if (seen.has(t)) continue;
    out.push({ state: BSD_STATE[t.state]!, localPort: t.localPort, remotePort: t.remotePort, ours: false });
  }
  return out;
}

function sockstat(run: Run, line: string, pipeline: string[][]): void {
  const args = pipeline[0]!;
  let port = -1;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-4' || a === '-s') continue;
    if (a === '-P' && args[i + 1] === 'tcp') { i++; continue; }
    if (a === '-p' && /^\d+$/.test(args[i + 1] ?? '')) { port = Number(args[++i]); continue; }
    run.unsupported(`sockstat option ${a} in \`${line}\``);
  }
  let list = rows(run).filter((r) => port < 0 || r.localPort === port || r.remotePort === port);
  let count: number | null = null;
  for (const stage of pipeline.slice(1)) {
    if (stage[0] !== 'grep') run.unsupported(`\`${stage.join(' ')}\` in \`${line}\``);
    if (stage.length === 2 && stage[1] === 'packetdril' && count === null) { list = list.filter((r) => r.ours); continue; }
    if (stage.length === 3 && stage[1] === '-c' && count === null) {
      const st = stage[2]!;
      if (!BSD_STATE.includes(st)) run.unsupported(`sockstat state ${st}`);
      count = list.filter((r) => r.state === st).length;
      continue;
    }
    if (stage.length === 2 && count !== null) {
      // `grep N` on the count: succeeds when the printed count contains N.
      if (!String(count).includes(stage[1]!)) {
        const what = pipeline.find((s) => s[1] === '-c')![2];
        run.fail('command', `\`${line}\` failed: ${count} socket(s) in ${what}, the script wants "${stage[1]}"`, false, `a count containing ${stage[1]}`, `${count}: ${list.map((r) => `${r.state}(${r.localPort}->${r.remotePort})`).join(' ') || 'no sockets'}`);
      }
      continue;
    }
    run.unsupported(`\`${stage.join(' ')}\` in \`${line}\``);
  }
  if (count === null) run.unsupported(`\`${line}\` (only counting pipelines are checked)`);
}

function tcpdrop(run: Run, state: string): void {
  const idx = BSD_STATE.indexOf(state);
  if (idx < 0) run.unsupported(`tcpdrop state ${state}`);
  for (const t of run.stack.tcp.connections()) {
    if (t.state !== idx) continue;
    // FreeBSD tcp_drop: synchronized states send a RST first; TIME_WAIT is just freed.
    if (t.state === TcpState.TIME_WAIT) run.stack.tcp.closeTcb(t, 0);
    else run.stack.tcp.failConnection(t, -103 /* ECONNABORTED */, true);
  }
  run.stack.tcp.flushEvents();
}

export { TCP_STATE_NAMES };
