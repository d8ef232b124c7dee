#!/usr/bin/env node
/**
 * The `zerostack` command line. Each subcommand lives in `commands/<name>.ts` and
 * exports `register(program)`; this file only lists them.
 */
import { Command } from 'commander';
import { register as get } from './commands/get.js';
import { register as lab } from './commands/lab.js';
import { register as packetdrill } from './commands/packetdrill.js';
import { register as ping } from './commands/ping.js';
import { register as selfcheck } from './commands/selfcheck.js';
import { register as send } from './commands/send.js';
import { register as up } from './commands/up.js';

const program = new Command();
program.name('zerostack').description('A TCP/IP stack in TypeScript with a virtual-time network lab.');

// One line per subcommand module (keep alphabetical).
get(program);
lab(program);
packetdrill(program);
ping(program);
selfcheck(program);
send(program);
up(program);

await program.parseAsync(process.argv);
