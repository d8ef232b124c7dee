/**
 * Cost accounting (DESIGN principle 6): the stack reports the work it does; it
 * never asks whether it is simulated.
 *
 * Owns: the interface through which every layer reports work, and a plain
 * counting implementation used in real mode and in tests.
 * Must not: decide anything. In the simulator, the host model (src/host) gives
 * the stack an Accounting that also turns the work into virtual CPU time.
 *
 * Call sites: one `packet()` per frame handled in each direction (the per-packet
 * fixed cost: driver, IP and L4 header work); `copy(n)` for every payload byte
 * copied between packet buffers and application memory; `csum(n)` for every byte
 * checksummed in software (not for offloaded checksums); `copyCsum(n)` for bytes
 * copied and checksummed in one fused pass; `syscall()` once per application call
 * into the socket core (send, recv, accept, ...).
 */
export interface Accounting {
  packet(): void;
  copy(bytes: number): void;
  csum(bytes: number): void;
  copyCsum(bytes: number): void;
  syscall(): void;
}

/** Counts work; in real mode these counters are the statistics. */
export class CountingAccounting implements Accounting {
  packets = 0;
  bytesCopied = 0;
  bytesChecksummed = 0;
  bytesCopyChecksummed = 0;
  syscalls = 0;
  packet(): void {
    this.packets++;
  }
  copy(bytes: number): void {
    this.bytesCopied += bytes;
  }
  csum(bytes: number): void {
    this.bytesChecksummed += bytes;
  }
  copyCsum(bytes: number): void {
    this.bytesCopyChecksummed += bytes;
  }
  syscall(): void {
    this.syscalls++;
  }
}
