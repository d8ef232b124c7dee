/**
 * PacketPool: nanoseconds per alloc+release (and clone, wrap, chain) against
 * allocating a fresh Uint8Array / Buffer of the same size, measured in the same run.
 */
import { PacketPool } from '../src/buf/pool.js';
import { consume, measure, printTable } from './util.js';

export function run(): void {
  const pool = new PacketPool({ memoryBytes: 16 * 1024 * 1024 });
  const debugPool = new PacketPool({ memoryBytes: 16 * 1024 * 1024, debug: true });
  const data = pool.alloc(1400)!;
  data.append(1400);
  const ext = new Uint8Array(1400);

  const cases: [string, () => void][] = [
    ['new Uint8Array(2048) (baseline)', () => consume(new Uint8Array(2048).length)],
    ['Buffer.allocUnsafe(2048)', () => consume(Buffer.allocUnsafe(2048).length)],
    [
      'pool alloc(1500)+release',
      () => {
        const b = pool.alloc(1500)!;
        consume(b.head);
        b.release();
      },
    ],
    [
      'pool clone+release',
      () => {
        const c = pool.clone(data, 100, 1000)!;
        consume(c.head);
        c.release();
      },
    ],
    [
      'pool wrap+release',
      () => {
        const w = pool.wrap(ext, 0, 1400);
        consume(w.head);
        w.release();
      },
    ],
    [
      'segment: alloc(0)+prepend+clone chain+release',
      () => {
        const h = pool.alloc(0)!;
        h.prepend(54);
        h.next = pool.clone(data, 0, 1400);
        consume(h.chainLength());
        h.release();
      },
    ],
    [
      'debug pool alloc(1500)+release',
      () => {
        const b = debugPool.alloc(1500)!;
        consume(b.head);
        b.release();
      },
    ],
  ];
  const base = measure(cases[0]![1]).medianSeconds;
  const rows = cases.map(([name, fn]) => {
    const s = name.startsWith('new Uint8Array') ? base : measure(fn).medianSeconds;
    return [name, s * 1e9, base / s];
  });
  printTable('PacketPool (ns per operation)', ['operation', 'ns/op', 'speedup vs new Uint8Array'], rows);
  const created = pool.stats.handlesCreated;
  console.log(`handles created by the production pool over all runs: ${created} (steady state allocates none)`);
  data.release();
}
