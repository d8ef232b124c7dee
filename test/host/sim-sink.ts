/**
 * A discard server for tests on simulated machines: one listener on `port`, one
 * accepted connection, every byte consumed (ProcessSockets.consume, no copy) and
 * counted until EOF.
 */
import type { SimMachine } from '../../src/host/index.js';

export function spawnDiscardSink(m: SimMachine, port: number): { readonly got: number } {
  const counter = { got: 0 };
  const l = m.sockets.socket();
  m.core.bind(l, 0, port);
  m.core.listen(l, 1);
  m.spawn('sink', function* () {
    const c = yield* m.sockets.accept(l);
    for (;;) {
      const n = yield* m.sockets.consume(c, 65536);
      if (n <= 0) return;
      counter.got += n;
    }
  });
  return counter;
}
