/**
 * Small allocation-free containers for the simulated links: a FIFO ring and a
 * binary min-heap ordered by (time, seq).
 *
 * Owns: storage and ordering only.
 * Must not: know about frames, clocks or ports. Both grow (doubling) when full,
 * which allocates only until the steady-state size is reached.
 */

/** FIFO queue over a power-of-two ring; `shift` on an empty ring returns undefined. */
export class Ring<T> {
  private items: (T | undefined)[];
  private mask: number;
  private first = 0;
  private count = 0;

  constructor(capacity = 16) {
    let cap = 1;
    while (cap < capacity) cap <<= 1;
    this.items = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.first + this.count) & this.mask] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.first];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.first];
    this.items[this.first] = undefined;
    this.first = (this.first + 1) & this.mask;
    this.count--;
    return item;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.first + i) & this.mask];
    this.items = next;
    this.mask = next.length - 1;
    this.first = 0;
  }
}

/** What the heap orders: smaller `time` first, ties by smaller `seq` (never by identity). */
export interface Timed {
  time: number;
  seq: number;
}

function before(a: Timed, b: Timed): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** Binary min-heap of Timed items. */
export class TimedHeap<T extends Timed> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    let i = a.length;
    a.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent]!;
      if (!before(item, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const n = a.length;
    if (n === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (n > 1) {
      const m = n - 1;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        let c = l;
        if (r < m && before(a[r]!, a[l]!)) c = r;
        if (!before(a[c]!, last)) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
