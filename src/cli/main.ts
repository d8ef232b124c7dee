#!/usr/bin/env node
/**
 * The `zerostack` command line. Each subcommand lives in `commands/<name>.ts` and
 * exports `register(program)`; this file only lists them.
 */
import { Command } from 'commander';
import { register as selfcheck } from './commands/selfcheck.js';

const program = new Command();
program.name('zerostack').description('A TCP/IP stack in TypeScript with a virtual-time network lab.');

// One line per subcommand module (keep alphabetical).
selfcheck(program);

await program.parseAsync(process.argv);
