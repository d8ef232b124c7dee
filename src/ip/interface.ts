/**
 * Interface: one NIC as the IP layer sees it — its IPv4 address and prefix,
 * MTU, MAC, whether it speaks ARP, and the derived network/broadcast addresses.
 *
 * Owns: per-interface addressing state and the address predicates the input
 * path asks per packet (is this our address, the subnet's broadcast, ...).
 * Must not: send or receive packets (the Stack wires NIC handlers; ipv4-input/
 * output and arp use this object as plain data).
 *
 * One IPv4 address per interface (a Linux interface may carry several; a second
 * address would be a second Interface object over the same NIC — not supported).
 */
import type { Nic } from '../link/nic.js';
import { formatIpv4, prefixToMask } from '../wire/address.js';

export class Interface {
  /** Position in stack.interfaces (0-based). */
  readonly index: number;
  readonly name: string;
  readonly nic: Nic;
  /** The NIC's MAC (6 bytes; not copied, NICs do not change it). */
  readonly mac: Uint8Array;
  /** IP MTU used for output: min(configured, nic.mtu). */
  readonly mtu: number;
  /** false: a link without ARP (static neighbours only). */
  readonly arpEnabled: boolean;
  /** The NIC completes CSUM_PARTIAL checksums on transmit. */
  readonly txChecksumOffload: boolean;

  /** Whether an address is configured. The fields below are 0 until then. */
  hasAddress = false;
  address = 0;
  prefixLength = 0;
  mask = 0;
  /** address & mask. */
  network = 0;
  /** Directed broadcast of the subnet (all host bits set); 0 for /31 and /32 (RFC 3021: no broadcast). */
  broadcast = 0;

  constructor(index: number, name: string, nic: Nic, mtu: number, arpEnabled: boolean) {
    this.index = index;
    this.name = name;
    this.nic = nic;
    this.mac = nic.mac;
    this.mtu = mtu;
    this.arpEnabled = arpEnabled;
    this.txChecksumOffload = nic.capabilities.txChecksumOffload;
  }

  /** @internal The Stack sets addresses (it also updates routes and announces them). */
  setAddress(address: number, prefixLength: number): void {
    this.hasAddress = true;
    this.address = address >>> 0;
    this.prefixLength = prefixLength;
    this.mask = prefixToMask(prefixLength);
    this.network = (address & this.mask) >>> 0;
    this.broadcast = prefixLength >= 31 ? 0 : (this.network | ~this.mask) >>> 0;
  }

  /** @internal */
  clearAddress(): void {
    this.hasAddress = false;
    this.address = 0;
    this.prefixLength = 0;
    this.mask = 0;
    this.network = 0;
    this.broadcast = 0;
  }

  /** Whether `addr` lies in this interface's subnet. */
  onLink(addr: number): boolean {
    return this.hasAddress && ((addr & this.mask) >>> 0) === this.network;
  }

  /** Whether `addr` is this subnet's directed broadcast (RFC 919/922). */
  isBroadcast(addr: number): boolean {
    return this.broadcast !== 0 && addr === this.broadcast;
  }

  /** '10.0.0.1/24' or '' when no address is set. */
  get cidr(): string {
    return this.hasAddress ? `${formatIpv4(this.address)}/${this.prefixLength}` : '';
  }

  toString(): string {
    return `${this.name}${this.hasAddress ? ` ${this.cidr}` : ''}`;
  }
}
