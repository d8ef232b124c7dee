/** Option parsers shared by the `zerostack` subcommands (commander argParsers). */
import { InvalidArgumentError } from 'commander';

/** A non-negative safe integer option; the message names the option. */
export function intOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer; got "${v}"`);
    return n;
  };
}

/** One of a fixed set of words; the message names the option and the accepted values. */
export function choiceOption<T extends string>(name: string, choices: readonly T[]) {
  return (v: string): T => {
    if (!(choices as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}; got "${v}"`);
    }
    return v as T;
  };
}
