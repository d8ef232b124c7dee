#!/usr/bin/env node
// Build the optional TAP addon (native/build/Release/zerostack_tap.node).
//
// `npm ci` never runs this (there is no install script): zerostack installs
// without a compiler. Run `npm run build:native` (or `node native/build.js`).
// Tries node-gyp (npm's bundled copy, offline against the installed Node
// headers), then a direct `cc` compile as a fallback. Exits non-zero with the
// reason when neither works; `--quiet` prints only failures.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'Release', 'zerostack_tap.node');
const quiet = process.argv.includes('--quiet');
const log = (msg) => {
  if (!quiet) console.log(`build:native: ${msg}`);
};

/** A directory holding include/node/node_api.h and common.gypi, so node-gyp never downloads headers. */
function nodeDir() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr', '/usr/local'];
  for (const d of candidates) {
    if (d && existsSync(join(d, 'include', 'node', 'node_api.h')) && existsSync(join(d, 'include', 'node', 'common.gypi'))) {
      return d;
    }
  }
  return undefined;
}

function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ];
  return candidates.find((p) => p && existsSync(p));
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: here, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  if (r.error) return `${cmd}: ${r.error.message}`;
  if (r.status !== 0) return `${cmd} exited with ${r.status}${quiet ? `\n${r.stdout ?? ''}${r.stderr ?? ''}` : ''}`;
  return null;
}

const failures = [];
const dir = nodeDir();
const gyp = nodeGypScript();
if (gyp === undefined) failures.push('node-gyp not found (npm bundles it; is npm installed?)');
else if (dir === undefined) failures.push('Node headers (include/node/node_api.h, common.gypi) not found; node-gyp would need to download them');
else {
  log(`node-gyp ${gyp} --nodedir=${dir}`);
  const err = run(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`]);
  if (err === null && existsSync(out)) {
    log(`built ${out}`);
    process.exit(0);
  }
  failures.push(err ?? `node-gyp finished but ${out} is missing`);
}

// Fallback: the addon is one C file against node_api.h; symbols resolve from the node binary at load time.
const include = dir !== undefined ? join(dir, 'include', 'node') : undefined;
if (include !== undefined) {
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC || 'cc';
  log(`fallback: ${cc} -shared`);
  const err = run(cc, ['-O2', '-Wall', '-shared', '-fPIC', '-DNAPI_VERSION=8', `-I${include}`, 'tap.c', '-o', out]);
  if (err === null && existsSync(out)) {
    log(`built ${out}`);
    process.exit(0);
  }
  failures.push(err ?? `${cc} finished but ${out} is missing`);
}

console.error(`build:native: could not build the TAP addon (needs python3, make and a C compiler):\n  ${failures.join('\n  ')}`);
process.exit(1);
