// The examples in examples/ must keep working: each one's main() is run and its
// result and output checked, and each script is also run the way the README
// says (one command, through tsx) and must exit 0 with the expected output.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main as echoMain } from '../examples/echo-server.js';
import { main as httpMain } from '../examples/http-server.js';
import { main as udpMain } from '../examples/udp-echo.js';
import { tapAddonAvailable } from '../src/link/native-loader.js';

function collect(): { lines: string[]; log: (l: string) => void } {
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l) };
}

/** Run `node --import tsx examples/<name>.ts` (what `npx tsx examples/<name>.ts` does) and return its exit code and stdout. */
function runScript(name: string, args: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', `examples/${name}.ts`, ...args], { cwd: process.cwd() });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('examples/ stay runnable', { timeout: 60_000 }, () => {
  it('udp_echo_example_echoes_every_send_form', async () => {
    const { lines, log } = collect();
    const r = await udpMain(log);
    expect(r.echoed).toEqual(['hello', 'offset+length', 'several chunks, one datagram', 'connected']);
    expect(r.serverCounters).toEqual({ InDatagrams: 4, OutDatagrams: 4 });
    expect(lines[0]).toBe('server: listening on 10.0.0.2:7 (zerostack UDP)');
  });

  it('echo_server_example_echoes_lines_and_4_mib_intact', async () => {
    const { lines, log } = collect();
    const r = await echoMain(log);
    expect(r.lines).toEqual(['hello, zerostack', 'a second line', 'bye']);
    expect(r.bulkBytes).toBe(4 * 1024 * 1024);
    expect(r.bulkIntact).toBe(true);
    expect(lines).toContain('client: 4194304 bytes echoed back, sha256 matches');
  });

  it('http_server_example_serves_undici_and_http_get', async () => {
    const { lines, log } = collect();
    const r = await httpMain(log);
    expect(r.undici.status).toBe(200);
    expect(r.undici.body).toContain('You are 10.0.0.1, asking for /from-undici');
    expect(r.httpGet.status).toBe(200);
    expect(r.httpGet.body).toContain('asking for /from-http.get');
    expect(r.requestsServed).toBe(2);
    expect(lines[lines.length - 1]).toBe('done: 2 requests served');
  });

  it('each_example_runs_with_one_command_and_exits_0', async () => {
    const [udp, echo, web] = await Promise.all([runScript('udp-echo'), runScript('echo-server'), runScript('http-server')]);
    expect({ code: udp.code, err: udp.err }).toEqual({ code: 0, err: '' });
    expect(udp.out).toContain('client: echoed "several chunks, one datagram"');
    expect({ code: echo.code, err: echo.err }).toEqual({ code: 0, err: '' });
    expect(echo.out).toContain('sha256 matches');
    expect({ code: web.code, err: web.err }).toEqual({ code: 0, err: '' });
    expect(web.out).toContain('undici fetch: 200 Hello');
  });

  // The --tap mode needs root, iproute2, curl and the TAP addon; it runs in a throw-away network namespace.
  const tapMissing =
    process.getuid?.() !== 0
      ? 'not root'
      : !tapAddonAvailable()
        ? 'TAP addon not built (npm run build:native)'
        : spawnSync('curl', ['--version']).status !== 0
          ? 'curl missing'
          : spawnSync('ip', ['netns', 'list']).status !== 0
            ? 'ip netns unavailable'
            : '';
  if (tapMissing !== '') console.log(`skipping http-server --tap example test: ${tapMissing}`);
  it.skipIf(tapMissing !== '')('http_server_example_with_tap_answers_curl_from_the_kernel', async () => {
    const ns = `zsex${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'examples/http-server.ts', '--tap'], { cwd: process.cwd() });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        p.stdout.on('data', (d: Buffer) => {
          out += d;
          if (out.includes('tap: zs-http0 up')) resolve();
        });
        p.on('close', (code) => reject(new Error(`example exited (${code}) before the TAP was up: ${out}`)));
      });
      const curl = spawnSync('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '10', 'http://10.99.0.2:8080/via-kernel'], { encoding: 'utf8' });
      expect(curl.status).toBe(0);
      expect(curl.stdout).toBe("Hello from Node's http.Server on zerostack! You are 10.99.0.1, asking for /via-kernel\n");
      const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
      p.kill('SIGINT'); // ip netns exec passes the signal on (it execs the command)
      expect(await exited).toBe(0);
      expect(out).toContain('done: 3 requests served');
    } finally {
      p.kill('SIGKILL');
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});
