/**
 * Packet buffers: the PacketPool slab allocator over one fixed WebAssembly.Memory
 * and the PacketBuffer handles it hands out. Ownership rules: ./README.md.
 */
export {
  CSUM_COMPLETE,
  CSUM_NONE,
  CSUM_PARTIAL,
  CSUM_UNNECESSARY,
  PacketBuffer,
  PacketBufferError,
  type PacketBufferErrorCode,
} from './packet-buffer.js';
export {
  PacketPool,
  POISON_BYTE,
  type PacketPoolClassStats,
  type PacketPoolOptions,
  type PacketPoolStats,
  type PoolMemory,
  type SizeClassOptions,
} from './pool.js';
