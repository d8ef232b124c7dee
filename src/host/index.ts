/**
 * The simulation host model (DESIGN "Simulation model", principles 6 and 7):
 * CPUs, run queue, cost model with era presets, generator-function processes,
 * and measurement helpers.
 *
 * Owns: re-exports only. See docs/host-model.md.
 */
export * from './cost-model.js';
export * from './presets.js';
export { Cpu, FnQueue } from './cpu.js';
export { HostAccounting } from './host-accounting.js';
export { HostClock } from './host-clock.js';
export { HostNic } from './host-nic.js';
export type { HostNicOptions } from './host-nic.js';
export { Process, Waitable, compute, sleep, block, YIELD } from './process.js';
export type { ProcessOp, ComputeOp, SleepOp, BlockOp, YieldOp, ProcessBody, ProcessState, ProcessStats } from './process.js';
export { Host } from './scheduler.js';
export type { HostOptions, CpuTimes, Utilisation, CpuUtilisation } from './scheduler.js';
export { Distribution } from './stats.js';
export type { DistributionSummary } from './stats.js';
export { ProcessSockets } from './process-socket.js';
export type { ProcessSocketsOptions, SocketCall } from './process-socket.js';
export { simNetwork, attachSimMachine, addMachineHost, portSettingsFor, appPrng } from './sim-machine.js';
export type { SimMachine, SimMachineOptions, SimNetwork, SimNetworkOptions, MachineCounters, MachineStats } from './sim-machine.js';
