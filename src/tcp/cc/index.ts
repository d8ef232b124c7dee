/**
 * Congestion control: the strategy interface, the factory, and the algorithms.
 * Import from here; the individual modules are implementation detail.
 */
export {
  CONGESTION_CONTROLLERS,
  createCongestionController,
  type CongestionController,
  type CongestionControllerOptions,
} from './controller.js';
export { INFINITE_SSTHRESH, NewReno, initialWindow, rfc5681InitialWindow, type NewRenoOptions } from './newreno.js';
export { CUBIC_BETA, CUBIC_C, Cubic, type CubicOptions } from './cubic.js';
