/**
 * The Johnson experiment (LKML, 7 May 2001; background/receive-path.md §1, §5):
 * is zero-copy "an academic exercise" while the link is the bottleneck?
 *
 * Bulk throughput and CPU utilisation versus link rate (10 Mbit/s … 400 Gbit/s,
 * log scale) for the copy modes copy / copy+csum / zerocopy, with NIC checksum
 * offload on and off, on the 2002 and 2025 hosts. One CPU per host, as
 * Johnson's uniprocessor (so saved cycles can only turn into throughput or
 * idle time). MTU 9000 in 2002 (jumbo frames, so per-byte costs are not hidden
 * under per-packet ones) and 65535 in 2025 (standing in for TSO/GRO 64 KiB
 * super-segments, which 2025 NICs do).
 *
 * Findings are computed, never written in advance: for each (era, offload) the
 * lowest measured link rate at which zero-copy's goodput exceeds copy's by more
 * than 10% (the separation), next to the rate the cost model implies (the
 * copy mode's CPU-bound goodput, from `predictedGoodput`).
 *
 * Owns: the task list, the analysis and the report of this experiment.
 */
import { costModel } from '../../host/presets.js';
import type { CopyMode, CsumMode, EraName, ExperimentReport, Table } from '../types.js';
import { formatRate } from '../../util/units.js';

export const JOHNSON_RATES_FULL = [10e6, 30e6, 100e6, 300e6, 1e9, 3e9, 10e9, 30e9, 100e9, 200e9, 400e9];
export const JOHNSON_RATES_QUICK = [10e6, 100e6, 1e9, 10e9, 100e9, 400e9];
const MODES: CopyMode[] = ['copy', 'copy+csum', 'zerocopy'];
const CSUMS: CsumMode[] = ['unnecessary', 'none'];
const ERAS: EraName[] = ['2002', '2025'];
/** Segments in each measurement window (and half as many in the warm-up): enough for a steady state, small enough for the 60 s budget. */
const WINDOW_SEGMENTS = 240;
/**
 * Socket-buffer turnovers (at the predicted pace) in each measurement window. With the warm-up this
 * keeps pre-buffered data from inflating the window, and it makes the window outlast a receiver that
 * drains a whole buffer in one softirq burst (one 2002 CPU: ~1.8 ms, longer than one turnover when
 * the predicted pace overestimates the receiver; with 1 turn such runs measured 0).
 */
const BUFFER_TURNS = 3;
/** Smallest socket buffer of a run. */
const MIN_BUF = 2 * 1024 * 1024;
const CHUNK = 65536;
const DELAY_NS = 10_000;

/**
 * perPacket charges per frame in the stack's accounting: one, all-in, by the layer
 * that owns the frame (IP receive / link transmit; docs/host-model.md).
 */
export const PACKET_CHARGES = 1;

export const johnsonMtu = (era: EraName): number => (era === '2002' ? 9000 : 65535);

/** Payload bytes per segment at `mtu` (IPv4 + TCP with timestamps: 52 bytes of headers). */
const mssOf = (mtu: number): number => mtu - 52;

/**
 * The goodput (bit/s) the cost model allows one flow between two one-CPU hosts
 * when the link is not the limit. The stack charges perPacket once per frame and
 * direction, where the frame enters or leaves (PACKET_CHARGES per frame, see
 * src/ip/ipv4-input.ts frame() and src/ip/link-output.ts sendFrame).
 * Per full segment of S payload bytes, with c = PACKET_CHARGES·perPacket:
 *   sender:   c (data out) + c/2 (an ACK in per two segments)
 *             + copy (copy: S·perByteCopy; copy+csum: S·perByteCopyCsum; zerocopy: 0)
 *             + transmit checksum without offload (S·perByteCsum, unless copy+csum already summed)
 *             + perSyscall·S/chunk
 *   receiver: c (data in) + c/2 (an ACK out per two segments)
 *             + receive checksum without offload (S·perByteCsum)
 *             + copy to the reader (S·perByteCopy; zerocopy: 0) + perSyscall·S/chunk
 * and the slower host sets the pace: 8·S / max(sender, receiver).
 */
export function predictedGoodput(era: EraName, copy: CopyMode, csum: CsumMode): { bitsPerSecond: number; senderNsPerSeg: number; receiverNsPerSeg: number } {
  const m = costModel(era);
  const S = mssOf(johnsonMtu(era));
  const offload = csum !== 'none';
  const sysPerSeg = (m.perSyscallNs * S) / CHUNK;
  const c = PACKET_CHARGES * m.perPacketNs;
  let sender = 1.5 * c + sysPerSeg;
  if (copy === 'copy') sender += S * m.perByteCopyNs;
  if (copy === 'copy+csum') sender += S * m.perByteCopyCsumNs;
  if (!offload && copy !== 'copy+csum') sender += S * m.perByteCsumNs;
  let receiver = 1.5 * c + sysPerSeg;
  if (!offload) receiver += S * m.perByteCsumNs;
  if (copy !== 'zerocopy') receiver += S * m.perByteCopyNs;
  return { bitsPerSecond: (8 * S * 1e9) / Math.max(sender, receiver), senderNsPerSeg: sender, receiverNsPerSeg: receiver };
}

export interface JohnsonTask {
  workload: 'bulk';
  params: Record<string, unknown>;
}

/** The bulk runs of the experiment. */
export function johnsonTasks(seed: number, quick: boolean): JohnsonTask[] {
  const rates = quick ? JOHNSON_RATES_QUICK : JOHNSON_RATES_FULL;
  const tasks: JohnsonTask[] = [];
  for (const era of ERAS) {
    const mtu = johnsonMtu(era);
    for (const csum of CSUMS) {
      for (const copy of MODES) {
        const cpuRate = predictedGoodput(era, copy, csum).bitsPerSecond;
        for (const rate of rates) {
          // The pace this run should reach: the slower of link and (predicted) CPU, with slack.
          const pace = Math.min(rate, cpuRate * 1.2);
          // Buffers of ~4 bandwidth-delay products at the pace, at least MIN_BUF: CPU queueing stretches
          // the RTT of a CPU-bound flow, and with smaller buffers the zero-copy sender idles waiting for
          // send space (docs/lab.md) — not at the link rate: a BDP the CPU cannot fill only stretches the warm-up.
          const rttNs = 2 * DELAY_NS + (2 * mtu * 8 * 1e9) / rate;
          const bufBytes = Math.min(16 * 1024 * 1024, Math.max(MIN_BUF, Math.ceil((4 * pace * rttNs) / 8e9)));
          // Window: WINDOW_SEGMENTS at the pace, and at least BUFFER_TURNS buffer turnovers, so data
          // buffered before the window cannot inflate it. Warm-up: filling the buffers at copy speed plus slow start.
          const windowNs = Math.round(Math.max(200_000, (WINDOW_SEGMENTS * mtu * 8 * 1e9) / pace, (BUFFER_TURNS * bufBytes * 8 * 1e9) / pace));
          const fillNs = bufBytes * costModel(era).perByteCopyCsumNs;
          const warmupNs = Math.round(Math.max(windowNs / 2, 2 * fillNs + 30 * rttNs));
          tasks.push({
            workload: 'bulk',
            params: {
              transport: 'sim',
              seed,
              era,
              csum,
              copy,
              cpus: 1,
              mtu,
              chunkBytes: CHUNK,
              linkRateBps: rate,
              delayNs: DELAY_NS,
              loss: 0,
              // RFC 1122/5681 delayed ACK (every second full segment). 'linux' no longer stalls (every
              // read runs tcp_cleanup_rbuf, src/tcp/read-ack.ts) but ACKs a one-CPU receiver's burst
              // only when its reader runs; a simulated process step that makes several socket calls
              // sends their frames at its end, so 'linux' runs show 40–50% idle CPUs here
              // (docs/receive-paths.md). 'rfc' keeps the ACK clock in softirq.
              delack: 'rfc',
              rxPath: 'direct',
              durationNs: windowNs,
              warmupNs,
              bufBytes,
            },
          });
        }
      }
    }
  }
  return tasks;
}

interface BulkLike {
  params: Record<string, unknown>;
  goodputBitsPerSecond: number;
  retransmits?: number;
  cpu?: { sender: { idle: number }; receiver: { idle: number } };
  simEvents?: number;
}

const pct = (x: number): number => Math.round(x * 1000) / 10;

/** Build the experiment report from the bulk results (in any order). */
export function johnsonReport(results: readonly BulkLike[]): ExperimentReport {
  const rows: Table['rows'] = [];
  const key = (era: unknown, csum: unknown, copy: unknown, rate: unknown): string => `${String(era)}|${String(csum)}|${String(copy)}|${String(rate)}`;
  const byKey = new Map<string, BulkLike>();
  for (const r of results) byKey.set(key(r.params['era'], r.params['csum'], r.params['copy'], r.params['linkRateBps']), r);
  const rates = [...new Set(results.map((r) => r.params['linkRateBps'] as number))].sort((a, b) => a - b);
  for (const r of [...results].sort((a, b) => cmp(a, b))) {
    const p = r.params;
    const senderBusy = r.cpu ? 1 - r.cpu.sender.idle : NaN;
    const receiverBusy = r.cpu ? 1 - r.cpu.receiver.idle : NaN;
    rows.push({
      era: String(p['era']),
      offload: p['csum'] === 'none' ? 'off' : 'on',
      copy: String(p['copy']),
      linkRateBps: p['linkRateBps'] as number,
      link: formatRate(p['linkRateBps'] as number),
      goodputGbps: Math.round((r.goodputBitsPerSecond / 1e9) * 1e4) / 1e4,
      linkShare: pct(r.goodputBitsPerSecond / (p['linkRateBps'] as number)),
      senderCpuPct: pct(senderBusy),
      receiverCpuPct: pct(receiverBusy),
      retransmits: r.retransmits ?? null,
    });
  }

  // Separation per (era, offload): the first rate where zerocopy beats copy by > 10%.
  const separations: Record<string, unknown>[] = [];
  const phrases: string[] = [];
  for (const era of ERAS) {
    for (const csum of CSUMS) {
      let sep: number | null = null;
      let lowAgree = true;
      for (const rate of rates) {
        const c = byKey.get(key(era, csum, 'copy', rate));
        const z = byKey.get(key(era, csum, 'zerocopy', rate));
        if (c === undefined || z === undefined) continue;
        const ratio = z.goodputBitsPerSecond / Math.max(1, c.goodputBitsPerSecond);
        if (ratio > 1.1) {
          sep ??= rate;
        } else if (sep === null && Math.abs(ratio - 1) > 0.05) lowAgree = false;
      }
      const predicted = predictedGoodput(era, 'copy', csum).bitsPerSecond;
      const zcPredicted = predictedGoodput(era, 'zerocopy', csum).bitsPerSecond;
      const below = rates.filter((x) => sep === null || x < sep);
      const prevRate = below.length > 0 ? below[below.length - 1]! : null;
      separations.push({ era, offload: csum === 'none' ? 'off' : 'on', measuredSeparationBps: sep, previousRateBps: prevRate, predictedCopyLimitBps: Math.round(predicted), predictedZerocopyLimitBps: Math.round(zcPredicted), lowRatesAgree: lowAgree });
      // The measured separation brackets the copy limit when prevRate < limit·1.1 <= sep (goodput = min(link, limit)).
      const bracketed = sep !== null && (prevRate === null || prevRate < predicted * 1.1) && sep >= predicted;
      const lo = prevRate === null ? 'below the lowest rate' : `between ${formatRate(prevRate)} and ${formatRate(sep ?? 0)}`;
      const measured = sep === null ? `never separate by >10% up to ${formatRate(rates[rates.length - 1] ?? 0)}` : `separate (zero-copy >10% ahead) ${lo}`;
      const verdict = sep === null ? '' : bracketed ? ', bracketing' : ', not bracketing';
      phrases.push(`${era} offload ${csum === 'none' ? 'off' : 'on'}: copy and zero-copy ${lowAgree ? 'coincide at low rates and ' : 'differ already at low rates and '}${measured}${verdict} the cost model's copy limit ${formatRate(predicted)}`);
    }
  }

  const chartData = rows.map((r) => ({ ...r, series: `${r['copy']} (offload ${r['offload']})` }));
  // zero-copy / copy goodput per rate: the curves separate where this leaves 1 (the finding's threshold is 1.1).
  const ratioData: Record<string, string | number>[] = [];
  for (const era of ERAS) {
    for (const csum of CSUMS) {
      for (const rate of rates) {
        const c = byKey.get(key(era, csum, 'copy', rate));
        const z = byKey.get(key(era, csum, 'zerocopy', rate));
        if (c === undefined || z === undefined || c.goodputBitsPerSecond <= 0) continue;
        ratioData.push({ era, offload: csum === 'none' ? 'off' : 'on', linkRateBps: rate, ratio: Math.round((z.goodputBitsPerSecond / c.goodputBitsPerSecond) * 1000) / 1000 });
      }
    }
  }
  // The printed table is compact: one row per (era, offload, link rate), the three
  // copy modes side by side; every run's own row stays in extra.runs (and results.json).
  const pivot: Table['rows'] = [];
  for (const era of ERAS) {
    for (const csum of CSUMS) {
      for (const rate of rates) {
        const of = (m: CopyMode) => byKey.get(key(era, csum, m, rate));
        const c = of('copy');
        const cs = of('copy+csum');
        const z = of('zerocopy');
        if (c === undefined && cs === undefined && z === undefined) continue;
        const gbps = (r: BulkLike | undefined) => (r === undefined ? null : Math.round((r.goodputBitsPerSecond / 1e9) * 1e4) / 1e4);
        const cpu = (r: BulkLike | undefined) => (r?.cpu ? pct(1 - r.cpu.sender.idle) : null);
        pivot.push({
          era,
          offload: csum === 'none' ? 'off' : 'on',
          link: formatRate(rate),
          linkRateBps: rate,
          copyGbps: gbps(c),
          copyCsumGbps: gbps(cs),
          zerocopyGbps: gbps(z),
          zcOverCopy: c !== undefined && z !== undefined && c.goodputBitsPerSecond > 0 ? Math.round((z.goodputBitsPerSecond / c.goodputBitsPerSecond) * 100) / 100 : null,
          copyCpuPct: cpu(c),
          zerocopyCpuPct: cpu(z),
        });
      }
    }
  }
  return {
    id: 'johnson',
    title: 'Johnson 2001: bulk goodput and CPU vs link rate, copy vs zero-copy',
    table: {
      columns: [
        { key: 'era', label: 'era' },
        { key: 'offload', label: 'csum offload' },
        { key: 'link', label: 'link' },
        { key: 'copyGbps', label: 'copy', unit: 'Gbit/s' },
        { key: 'copyCsumGbps', label: 'copy+csum', unit: 'Gbit/s' },
        { key: 'zerocopyGbps', label: 'zerocopy', unit: 'Gbit/s' },
        { key: 'zcOverCopy', label: 'zerocopy/copy' },
        { key: 'copyCpuPct', label: 'sender CPU copy', unit: '%' },
        { key: 'zerocopyCpuPct', label: 'sender CPU zerocopy', unit: '%' },
      ],
      rows: pivot,
    },
    finding: phrases.join('; ') + '.',
    charts: [
      {
        id: 'johnson-goodput',
        title: 'Bulk goodput vs link rate (one flow, one CPU per host)',
        mark: 'line',
        data: chartData,
        x: { field: 'linkRateBps', title: 'link rate (bit/s)', type: 'quantitative', log: true },
        y: { field: 'goodputGbps', title: 'goodput (Gbit/s)', type: 'quantitative', log: true },
        color: { field: 'series', title: 'copy mode' },
        column: { field: 'era', title: 'era' },
      },
      {
        id: 'johnson-separation',
        title: 'Zero-copy / copy goodput ratio vs link rate (curves separate where it leaves 1)',
        mark: 'line',
        data: ratioData,
        x: { field: 'linkRateBps', title: 'link rate (bit/s)', type: 'quantitative', log: true },
        y: { field: 'ratio', title: 'zero-copy goodput / copy goodput', type: 'quantitative' },
        color: { field: 'offload', title: 'checksum offload' },
        column: { field: 'era', title: 'era' },
      },
      {
        id: 'johnson-cpu',
        title: 'Sender CPU utilisation vs link rate',
        mark: 'line',
        data: chartData,
        x: { field: 'linkRateBps', title: 'link rate (bit/s)', type: 'quantitative', log: true },
        y: { field: 'senderCpuPct', title: 'sender CPU busy (%)', type: 'quantitative' },
        color: { field: 'series', title: 'copy mode' },
        column: { field: 'era', title: 'era' },
      },
    ],
    extra: { separations, windowSegments: WINDOW_SEGMENTS, ratios: ratioData, runs: rows },
  };
}

function cmp(a: BulkLike, b: BulkLike): number {
  const k = (r: BulkLike): string => `${String(r.params['era'])}|${String(r.params['csum']) === 'none' ? 1 : 0}|${MODES.indexOf(r.params['copy'] as CopyMode)}`;
  const ka = k(a);
  const kb = k(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return (a.params['linkRateBps'] as number) - (b.params['linkRateBps'] as number);
}
