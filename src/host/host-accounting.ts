/**
 * The Accounting a simulated host hands to the code it runs (DESIGN principle 6):
 * it counts work like CountingAccounting and also prices it with the host's
 * CostModel, so the scheduler can charge the current work item.
 *
 * Owns: the running cost of the current work item and the host's work totals.
 * Must not: schedule anything or read the clock. The scheduler calls begin()
 * before running a work item and end() after it; work reported outside a work
 * item (e.g. a timer callback not routed through the host) is counted and
 * priced into `unattributedNs` but charges no CPU.
 */
import { CountingAccounting } from '../acct/accounting.js';
import type { CostModel } from './cost-model.js';

export class HostAccounting extends CountingAccounting {
  /** Cost (ns) of work reported while no work item was running. */
  unattributedNs = 0;
  /** CPU time charged explicitly through charge() (ns, total): compute and wake-up costs. */
  computeNs = 0;
  private ns = 0;
  private active = false;

  constructor(private readonly model: CostModel) {
    super();
  }

  /** True between begin() and end(). */
  get inWorkItem(): boolean {
    return this.active;
  }

  /** Start pricing a work item. */
  begin(): void {
    if (this.ns !== 0) this.unattributedNs += this.ns;
    this.ns = 0;
    this.active = true;
  }

  /** Finish the work item; returns its cost so far, unrounded (ns). */
  end(): number {
    const ns = this.ns;
    this.ns = 0;
    this.active = false;
    return ns;
  }

  /** Cost accumulated by the current work item so far (ns). */
  get pendingNs(): number {
    return this.ns;
  }

  /** Charge explicit CPU time (application compute, wake-up cost) to the current work item. */
  charge(ns: number): void {
    this.computeNs += ns;
    this.add(ns);
  }

  override packet(): void {
    this.packets++;
    this.add(this.model.perPacketNs);
  }
  override copy(bytes: number): void {
    this.bytesCopied += bytes;
    this.add(bytes * this.model.perByteCopyNs);
  }
  override csum(bytes: number): void {
    this.bytesChecksummed += bytes;
    this.add(bytes * this.model.perByteCsumNs);
  }
  override copyCsum(bytes: number): void {
    this.bytesCopyChecksummed += bytes;
    this.add(bytes * this.model.perByteCopyCsumNs);
  }
  override syscall(): void {
    this.syscalls++;
    this.add(this.model.perSyscallNs);
  }

  private add(ns: number): void {
    if (this.active) this.ns += ns;
    else this.unattributedNs += ns;
  }
}
