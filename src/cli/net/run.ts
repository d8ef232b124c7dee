/**
 * How the networking subcommands end: a usage problem prints
 * `zerostack <cmd>: <message>` and exits 2; a failure to open the link or a
 * network error prints the message (with the errno code) and exits 1. No stack
 * traces for errors the user can act on.
 *
 * Owns: the error → message/exit-status mapping and the shutdown-signal hook.
 * Must not: open links or parse options.
 */
import { UsageError } from './link-args.js';
import { LinkOpenError } from './host.js';

/** Print an error the way the CLI reports it, and set the exit status. */
export function reportError(command: string, err: unknown): void {
  if (err instanceof UsageError) {
    console.error(`zerostack ${command}: ${err.message}`);
    process.exitCode = 2;
    return;
  }
  const e = err as { code?: string; message?: string };
  if (err instanceof LinkOpenError || (typeof e?.code === 'string' && typeof e.message === 'string')) {
    const msg = e.message ?? String(err);
    console.error(`zerostack ${command}: ${msg.includes(e.code!) ? msg : `${msg} (${e.code})`}`);
  } else {
    console.error(`zerostack ${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  process.exitCode = 1;
}

/** Run `fn`, reporting its failure (see reportError). */
export async function runReporting(command: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    reportError(command, err);
  }
}

/**
 * Call `onSignal` once on the first SIGINT or SIGTERM (a second one exits at
 * once with 130, for a shutdown that hangs). Returns a function that removes the hooks.
 */
export function onShutdownSignal(onSignal: (signal: NodeJS.Signals) => void): () => void {
  let seen = false;
  const h = (sig: NodeJS.Signals): void => {
    if (seen) process.exit(130);
    seen = true;
    onSignal(sig);
  };
  process.on('SIGINT', h);
  process.on('SIGTERM', h);
  return () => {
    process.off('SIGINT', h);
    process.off('SIGTERM', h);
  };
}
