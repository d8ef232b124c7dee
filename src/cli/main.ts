#!/usr/bin/env node
/**
 * The `zerostack` command line. Subcommands live in their own modules; this file
 * only declares them and their options.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runSelfcheck } from './selfcheck.js';

function intOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer; got "${v}"`);
    return n;
  };
}

const program = new Command();
program.name('zerostack').description('A TCP/IP stack in TypeScript with a virtual-time network lab.');

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

await program.parseAsync(process.argv);
