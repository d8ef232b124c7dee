/**
 * The link layer: the Nic contract, simulated links (ports, wires, impairments,
 * a learning switch, an in-process pair), the pcap file format and the pcap
 * capture decorator.
 *
 * Owns: re-exports only. The topology builder that assembles simulated links
 * into networks lives in src/sim/network.ts.
 */
export * from './nic.js';
export { SimPort, copyChain, DEFAULT_MTU, DEFAULT_RX_BATCH } from './sim/port.js';
export type { SimPortOptions, PortTransmitter } from './sim/port.js';
export {
  Wire,
  WireDirection,
  serializationDelay,
  emptyLinkDirectionStats,
  checkDirectionConfig,
} from './sim/wire.js';
export type { WireDirectionConfig, LinkDirectionStats, PacketRecorder } from './sim/wire.js';
export {
  Impairments,
  LossOutcome,
  CORRUPT_SKIP_BYTES,
  noImpairments,
  hasImpairments,
  flipBit,
} from './sim/impairments.js';
export type { ImpairmentConfig, GilbertElliott, JitterDistribution, RandomStream } from './sim/impairments.js';
export { LearningSwitch, DEFAULT_AGING_TIME } from './sim/switch.js';
export type { SwitchOptions, SwitchStats } from './sim/switch.js';
export { createPair } from './sim/pair.js';
export type { PairOptions, SimPair } from './sim/pair.js';
export { completePartialChecksum, partialChecksumFits, l4ChecksumVerifies, ipv4PayloadSum } from './sim/offload.js';
export { PcapNic } from './pcap-nic.js';
export type { FrameCapture, PcapNicOptions } from './pcap-nic.js';
export * from './pcap-file.js';
export * from './tap.js';
export * from './udp-link.js';
export * from './qemu.js';
export { loadTapAddon, tapAddonAvailable, NativeAddonError } from './native-loader.js';
export * from './nic-decorator.js';
