import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HeapTimer, TimerHeap, type TimerOwner } from '../../src/time/timer-heap.js';

const owner: TimerOwner = {
  now: () => 0,
  armTimer: () => undefined,
  cancelTimer: () => undefined,
};

type Op = { op: 'set'; i: number; d: number } | { op: 'remove'; i: number } | { op: 'pop' };

describe('TimerHeap', () => {
  it('heap_order_matches_a_sorted_model_under_push_update_remove_pop (deep 4-ary heaps)', () => {
    const N = 300;
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), i: fc.nat(N - 1), d: fc.nat(50) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), i: fc.nat(N - 1) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('pop' as const) }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 2000, size: 'max' }), (ops) => {
        const heap = new TimerHeap();
        const timers = Array.from({ length: N }, (_, i) => new HeapTimer(owner, () => undefined, i));
        const model = new Map<number, [number, number]>(); // timer -> (deadline, seq)
        let seq = 0;
        const popped: number[] = [];
        const expected: number[] = [];
        const minOfModel = (): number => {
          let best = -1;
          let bk: [number, number] = [Infinity, Infinity];
          for (const [i, k] of model) {
            if (k[0] < bk[0] || (k[0] === bk[0] && k[1] < bk[1])) {
              best = i;
              bk = k;
            }
          }
          return best;
        };
        for (const o of ops) {
          if (o.op === 'set') {
            const t = timers[o.i]!;
            const s = ++seq;
            if (t.heapIndex >= 0) heap.update(t as HeapTimer<unknown>, o.d, s);
            else heap.push(t as HeapTimer<unknown>, o.d, s);
            model.set(o.i, [o.d, s]);
          } else if (o.op === 'remove') {
            const t = timers[o.i]!;
            if (t.heapIndex >= 0) heap.remove(t as HeapTimer<unknown>);
            model.delete(o.i);
          } else if (heap.size > 0) {
            popped.push(heap.pop().ctx as number);
            const m = minOfModel();
            expected.push(m);
            model.delete(m);
          }
          expect(heap.size).toBe(model.size);
        }
        while (heap.size > 0) {
          expect(heap.topDeadline()).toBe(model.get(heap.peek()!.ctx as number)![0]);
          popped.push(heap.pop().ctx as number);
          const m = minOfModel();
          expected.push(m);
          model.delete(m);
        }
        expect(popped).toEqual(expected);
        expect(timers.every((t) => t.heapIndex === -1)).toBe(true);
        expect(heap.topDeadline()).toBe(Infinity);
      }),
      { numRuns: 150 },
    );
  });

  it('heap_index_stays_consistent_and_clear_disarms_everything', () => {
    const heap = new TimerHeap();
    const timers = Array.from({ length: 1000 }, (_, i) => new HeapTimer(owner, () => undefined, i) as HeapTimer<unknown>);
    for (const [i, t] of timers.entries()) heap.push(t, (i * 7919) % 1000, i);
    for (let i = 0; i < 1000; i += 3) heap.remove(timers[i]!);
    for (let i = 1; i < 1000; i += 3) heap.update(timers[i]!, 5, 10_000 + i);
    let last = -Infinity;
    let n = 0;
    while (heap.size > 500) {
      const d = heap.topDeadline();
      expect(d).toBeGreaterThanOrEqual(last);
      last = d;
      heap.pop();
      n++;
    }
    expect(n).toBe(166);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(timers.every((t) => !t.armed)).toBe(true);
  });
});
