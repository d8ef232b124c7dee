#!/usr/bin/env node
// The `zerostack` command. Runs the compiled CLI from dist/ (built by `npm run build`,
// which `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('zerostack: the CLI is not built yet; run `npm run build` in the package folder.');
  process.exit(1);
}
await import(main);
