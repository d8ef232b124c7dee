/**
 * The admission checks every driver applies to a frame handed to Nic.transmit,
 * in one place so that all devices count the same drops the same way.
 *
 * Owns: deciding whether a frame may be sent (device open, Ethernet-sized, within
 * the device's frame limit, checksum-offload request honourable).
 * Must not: send anything. On refusal it releases the frame (ownership passed to
 * the NIC with transmit) and counts the reason in the device's stats.
 */
import { CSUM_PARTIAL, type PacketBuffer } from '../buf/packet-buffer.js';
import type { NicCapabilities, NicStats } from './nic.js';
import { partialChecksumFits } from './sim/offload.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';


/**
 * Returns the frame's length when it may be sent, or -1 when it was dropped
 * (released and counted: 'down', 'malformed' or 'tooBig').
 */
export function admitFrame(frame: PacketBuffer, stats: NicStats, capabilities: NicCapabilities, open: boolean): number {
  const drops = stats.drops;
  if (!open) {
    drops.down++;
    frame.release();
    return -1;
  }
  const len = frame.next === null ? frame.length : frame.chainLength();
  if (len < ETHERNET_HEADER_LEN) {
    drops.malformed++;
    frame.release();
    return -1;
  }
  if (len > capabilities.maxFrameSize) {
    drops.tooBig++;
    frame.release();
    return -1;
  }
  // A PARTIAL frame on a device without tx offload means the stack asked for an
  // offload it was told the device does not have: a stack bug, counted and dropped.
  if (frame.csumState === CSUM_PARTIAL && (!capabilities.txChecksumOffload || !partialChecksumFits(len, frame.csumStart, frame.csumOffset))) {
    drops.malformed++;
    frame.release();
    return -1;
  }
  return len;
}
