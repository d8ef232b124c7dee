/** `zerostack selfcheck`: ping and a TCP transfer between two simulated hosts, in virtual time. */
import type { Command } from 'commander';
import { runSelfcheck } from '../selfcheck.js';
import { intOption } from '../options.js';

export function register(program: Command): void {
  program
    .command('selfcheck')
    .description('run ping and a TCP transfer between two simulated hosts, in virtual time')
    .option('--seed <n>', 'simulation seed', intOption('--seed'), 1)
    .option('--loss <p>', 'link loss probability, e.g. 1%', '1%')
    .option('--bytes <n>', 'bytes to transfer over TCP', intOption('--bytes'), 4 * 1024 * 1024)
    .option('--json', 'print one JSON object')
    .action(async (o: { seed: number; loss: string; bytes: number; json?: boolean }) => {
      const r = await runSelfcheck(o);
      if (o.json) console.log(JSON.stringify(r));
      else {
        for (const c of r.checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(22)} ${c.detail}`);
        console.log(`${r.events} events, ${r.virtualSeconds.toFixed(3)} s of virtual time`);
      }
      process.exitCode = r.ok ? 0 : 1;
    });
}
