/**
 * Loads the optional TAP addon (native/build/Release/zerostack_tap.node, built
 * by `npm run build:native`) and describes its API in TypeScript.
 *
 * Owns: finding and loading the addon once, and the clear error when it is
 * missing. Must not: build it (native/build.js does, on request only — installing
 * zerostack never needs a compiler) or hold any device state (tap.ts does).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions (native/tap.c). Errors thrown carry Node's code/errno/syscall/path shape. */
export interface TapAddon {
  /**
   * Open (creating if needed) TAP device `name` with IFF_TAP|IFF_NO_PI; the fd is
   * non-blocking. With `vnetHdr`, also IFF_VNET_HDR: every frame read or written
   * starts with a 10-byte struct virtio_net_hdr.
   */
  open(name: string, vnetHdr?: boolean): { fd: number; name: string };
  setMtu(name: string, mtu: number): void;
  /** TUNSETOFFLOAD: which offloads (TUN_F_CSUM 1, TUN_F_TSO4 2) the kernel may use on frames it gives us. */
  setOffload?(fd: number, flags: number): void;
  /** writev one frame from n (1..64) pieces mem[offsets[i] .. +lens[i]); bytes written or -errno. */
  writevPool?(fd: number, mem: ArrayBufferLike | Uint8Array, offsets: Int32Array, lens: Int32Array, n: number): number;
  /** Set IFF_UP on the device. */
  setUp(name: string): void;
  /** The kernel side's MAC address of the device. */
  getMac(name: string): Uint8Array;
  /**
   * Read up to n frames, frame i into mem[offsets[i], offsets[i]+caps[i]), its
   * length into lens[i]; stops at EAGAIN. Returns the count, or -errno when the
   * first read failed with something other than EAGAIN.
   */
  readBatch(fd: number, mem: ArrayBufferLike | Uint8Array, offsets: Int32Array, caps: Int32Array, lens: Int32Array, n: number): number;
  /** writev one frame from n (1..64) pieces (array, offset, length)...; returns bytes written or -errno. */
  writev(fd: number, n: number, ...pieces: (Uint8Array | number)[]): number;
  /** Call `onReadable(status)` on the event loop whenever fd is readable (uv_poll). */
  poll(fd: number, onReadable: (status: number) => void): object;
  /** Stop a poll handle. Call exactly once per handle. */
  pollStop(handle: object): void;
  close(fd: number): void;
}

export const NATIVE_ADDON_MISSING =
  'TAP support needs the native addon: run `npm run build:native` (needs python3, make and a C compiler)';

/** The addon could not be loaded (not built, or built for another Node ABI). */
export class NativeAddonError extends Error {
  readonly code = 'ERR_ZEROSTACK_NATIVE_ADDON';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeAddonError';
  }
}

/** Where the built addon lives: <package root>/native/build/Release/zerostack_tap.node (from src/link or dist/src/link). */
export function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'zerostack_tap.node');
    if (existsSync(candidate) || existsSync(join(dir, 'native', 'tap.c'))) return candidate;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release', 'zerostack_tap.node');
}

let cached: TapAddon | null = null;

/** Load the addon, or throw NativeAddonError with the build instructions. */
export function loadTapAddon(): TapAddon {
  if (cached !== null) return cached;
  const path = addonPath();
  if (!existsSync(path)) throw new NativeAddonError(`${NATIVE_ADDON_MISSING}; not found: ${path}`);
  try {
    cached = createRequire(import.meta.url)(path) as TapAddon;
  } catch (err) {
    throw new NativeAddonError(`${NATIVE_ADDON_MISSING}; loading ${path} failed: ${(err as Error).message}`, { cause: err });
  }
  return cached;
}

/** Whether the addon is built and loads (never throws). */
export function tapAddonAvailable(): boolean {
  try {
    loadTapAddon();
    return true;
  } catch {
    return false;
  }
}
