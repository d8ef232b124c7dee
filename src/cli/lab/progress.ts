/**
 * Progress of a batch of lab runs on stderr: on a terminal a one-line bar
 * redrawn in place (`[#####-----] 12/48 25% 0:04 eta 0:12 last run`), otherwise
 * one plain line per finished run, so logs stay readable. Messages (`log`)
 * print above the bar. Wall-clock time lives here, in the CLI layer.
 */

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Force the bar on/off (default: stream.isTTY). */
  tty?: boolean;
  /** Milliseconds, monotonic (default: performance.now). */
  now?: () => number;
  label?: string;
}

const BAR = 24;

export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class Progress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly label: string;
  private readonly t0: number;
  private total = 0;
  private done = 0;
  private note = '';
  private drawn = false;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.now = opts.now ?? (() => performance.now());
    this.label = opts.label ?? '';
    this.t0 = this.now();
  }

  /** Start (or extend) a batch of `total` runs. */
  start(total: number): void {
    this.total = total;
    this.done = 0;
    this.draw();
  }

  /** `done` runs have finished; `note` says which one. */
  update(done: number, note = ''): void {
    this.done = done;
    this.note = note;
    if (this.tty) this.draw();
    else this.stream.write(`${this.prefix()}[${done}/${this.total}] ${formatClock(this.elapsed())} ${note}`.trimEnd() + '\n');
  }

  /** A message line (above the bar on a terminal). */
  log(msg: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    // Messages that already name the command ("seed: …", "rr/sim: …") are not prefixed twice.
    const named = this.label !== '' && (msg.startsWith(`${this.label}:`) || msg.startsWith(`${this.label}/`));
    this.stream.write(`${named ? '' : this.prefix()}${msg}\n`);
    if (this.tty && this.total > 0 && this.done < this.total) this.draw();
  }

  /** Remove the bar (terminal) before the results are printed. */
  finish(): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** Seconds since the progress started. */
  elapsed(): number {
    return (this.now() - this.t0) / 1000;
  }

  private prefix(): string {
    return this.label ? `${this.label}: ` : '';
  }

  /** The bar line for the current state (exposed for tests). */
  line(): string {
    const frac = this.total > 0 ? this.done / this.total : 0;
    const fill = Math.round(frac * BAR);
    const el = this.elapsed();
    const eta = this.done > 0 && this.done < this.total ? ` eta ${formatClock((el / this.done) * (this.total - this.done))}` : '';
    const s = `${this.prefix()}[${'#'.repeat(fill)}${'-'.repeat(BAR - fill)}] ${this.done}/${this.total} ${Math.floor(frac * 100)}% ${formatClock(el)}${eta} ${this.note}`.trimEnd();
    const width = (this.stream.columns ?? 100) - 1;
    return s.length > width ? s.slice(0, width) : s;
  }

  private draw(): void {
    if (!this.tty || this.total === 0) return;
    this.stream.write(`\r\x1b[2K${this.line()}`);
    this.drawn = true;
  }
}
