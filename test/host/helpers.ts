import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Prng } from '../../src/util/prng.js';
import { Host, type HostOptions } from '../../src/host/index.js';
import type { CostModel } from '../../src/host/index.js';

/** Round numbers so expected times are easy to compute by hand. */
export const SIMPLE_COST: Partial<CostModel> = {
  perPacketNs: 1000,
  perByteCopyNs: 1,
  perByteCsumNs: 1,
  perByteCopyCsumNs: 1,
  perSyscallNs: 100,
  contextSwitchNs: 0,
  perWakeupNs: 0,
  wakeupLatency: { kind: 'fixed', ns: 0 },
  timesliceNs: 1_000_000,
  timerGranularityNs: 0,
};

export function makeHost(opts: Partial<Omit<HostOptions, 'clock' | 'prng'>> & { seed?: number } = {}): { clock: VirtualClock; host: Host } {
  const clock = new VirtualClock();
  const { seed, cost, ...rest } = opts;
  const host = new Host({ clock, prng: new Prng(seed ?? 1), cost: { ...SIMPLE_COST, ...cost }, ...rest });
  return { clock, host };
}
