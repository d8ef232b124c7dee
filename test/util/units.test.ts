import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatDuration,
  formatRate,
  formatSize,
  parseDuration,
  parseProbability,
  parseRate,
  parseSize,
} from '../../src/util/units.js';

/** The error a call throws (or undefined). */
function errorOf(f: () => unknown): (Error & { code?: string }) | undefined {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  return undefined;
}

/** Bad values: the right class and code, and a message that names the option and the value. */
function expectRejected(
  f: (option: string, v: never) => unknown,
  v: unknown,
  kind: typeof TypeError | typeof RangeError,
  code: string,
): void {
  const e = errorOf(() => f('link.rate', v as never));
  expect(e, `expected ${JSON.stringify(v)} to be rejected`).toBeInstanceOf(kind);
  expect(e!.code).toBe(code);
  expect(e!.message).toContain('link.rate');
  const shown = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : '';
  expect(e!.message).toContain(shown);
}

describe('parseRate', () => {
  it.each([
    ['10Gbit', 10e9],
    ['100Mbit', 100e6],
    ['1.5Gbps', 1.5e9],
    ['400Gbit/s', 400e9],
    ['9600bit', 9600],
    ['9600', 9600],
    [1e9, 1e9],
    ['10 Gbit/s', 10e9], // formatRate's output
    ['100mbit', 100e6], // tc spelling: prefixes are case-insensitive
    ['64kbit', 64e3],
    ['64Kbps', 64e3],
    ['1Tbit', 1e12],
    ['125MB/s', 1e9], // bytes per second x 8
    ['1MBps', 8e6],
    ['1Mibit', 1024 ** 2],
    ['2.5e9bit/s', 2.5e9],
  ] as const)('decimal_SI_prefixes_and_bit_units: %j is %d bit/s', (v, expected) => {
    expect(parseRate('rate', v)).toBe(expected);
  });

  it.each(['10 Gigs', 'fast', '', '10Gb', '10GBit/sec', '10 G bit', '1,000bit', '1e', '0x10bit'])(
    'unknown_units_and_garbage_are_a_TypeError_naming_the_option_and_value: %j',
    (v) => expectRejected(parseRate, v, TypeError, 'ERR_INVALID_ARG_VALUE'),
  );

  it.each([0, -1, '-5Mbit', '0bit', NaN, Infinity, '1e400bit'])('zero_negative_and_non_finite_rates_are_a_RangeError: %j', (v) =>
    expectRejected(parseRate, v, RangeError, 'ERR_OUT_OF_RANGE'),
  );

  it('values_of_the_wrong_type_are_a_TypeError_ERR_INVALID_ARG_TYPE', () => {
    for (const v of [null, undefined, true, {}, [10]]) expectRejected(parseRate, v, TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});

describe('parseDuration', () => {
  it.each([
    ['1ms', 1_000_000],
    ['200us', 200_000],
    ['1.5s', 1_500_000_000],
    ['10ns', 10],
    ['40µs', 40_000], // U+00B5 MICRO SIGN
    ['40μs', 40_000], // U+03BC GREEK SMALL LETTER MU
    ['2min', 120e9],
    ['24h', 86_400e9],
    ['0', 0],
    [0, 0],
    [1500, 1500],
    ['1500', 1500],
    ['1.1s', 1_100_000_000], // float noise rounds away
    ['0.3ms', 300_000],
    [' 5 ms ', 5_000_000],
    ['1.5ns', 2], // rounded to the nearest ns
  ] as const)('durations_become_integer_ns: %j is %d', (v, expected) => {
    const ns = parseDuration('timeout', v);
    expect(ns).toBe(expected);
    expect(Number.isInteger(ns)).toBe(true);
  });

  it.each(['1 fortnight', 'ms', '1msec', '1 m s', '1MS', 'abc', ''])('unknown_units_are_a_TypeError: %j', (v) =>
    expectRejected(parseDuration, v, TypeError, 'ERR_INVALID_ARG_VALUE'),
  );

  it.each([-1, '-1ms', NaN, Infinity, 1.5, '1e300s'])('negative_non_finite_and_fractional_ns_numbers_are_a_RangeError: %j', (v) =>
    expectRejected(parseDuration, v, RangeError, 'ERR_OUT_OF_RANGE'),
  );
});

describe('parseSize', () => {
  it.each([
    ['64KiB', 65_536],
    ['1MiB', 1_048_576],
    ['1500B', 1500],
    ['10kB', 10_000],
    ['10KB', 10_000],
    ['2MB', 2_000_000],
    ['1GiB', 1024 ** 3],
    ['1.5KiB', 1536],
    ['1.1kB', 1100], // float noise is not a fraction of a byte
    [9000, 9000],
    ['9000', 9000],
    ['0B', 0],
    ['64 KiB', 65_536], // formatSize's output
  ] as const)('sizes_become_integer_bytes: %j is %d', (v, expected) => {
    expect(parseSize('sndbuf', v)).toBe(expected);
  });

  it.each(['10kb', '10Kb', '64K', '1 megabyte', 'KiB', '1.5.5B'])('bits_and_unknown_units_are_a_TypeError: %j', (v) =>
    expectRejected(parseSize, v, TypeError, 'ERR_INVALID_ARG_VALUE'),
  );

  it.each([-1, '-1B', 1.5, '0.5B', '1.0001kB', NaN, Infinity])('negative_and_fractional_byte_counts_are_a_RangeError: %j', (v) =>
    expectRejected(parseSize, v, RangeError, 'ERR_OUT_OF_RANGE'),
  );
});

describe('parseProbability', () => {
  it.each([
    ['1%', 0.01],
    ['0.5 %', 0.005],
    ['100%', 1],
    [0.01, 0.01],
    ['0.25', 0.25],
    [0, 0],
    [1, 1],
    ['1e-3', 0.001],
  ] as const)('probabilities_are_numbers_in_0_1_or_percentages: %j is %d', (v, expected) => {
    expect(parseProbability('loss', v)).toBeCloseTo(expected, 15);
  });

  it.each([1.01, -0.1, '101%', '-1%', NaN])('out_of_range_is_a_RangeError: %j', (v) =>
    expectRejected(parseProbability, v, RangeError, 'ERR_OUT_OF_RANGE'),
  );

  it.each(['1 percent', 'often', '1‰'])('unknown_units_are_a_TypeError: %j', (v) =>
    expectRejected(parseProbability, v, TypeError, 'ERR_INVALID_ARG_VALUE'),
  );
});

describe('formatting', () => {
  it('formats_use_the_largest_prefix_and_at_most_three_decimals', () => {
    expect(formatRate(10e9)).toBe('10 Gbit/s');
    expect(formatRate(9600)).toBe('9.6 kbit/s');
    expect(formatRate(1.5e9)).toBe('1.5 Gbit/s');
    expect(formatRate(400e9)).toBe('400 Gbit/s');
    expect(formatRate(12)).toBe('12 bit/s');
    expect(formatDuration(1_500_000)).toBe('1.5 ms');
    expect(formatDuration(200_000)).toBe('200 µs');
    expect(formatDuration(10)).toBe('10 ns');
    expect(formatDuration(86_400e9)).toBe('86400 s');
    expect(formatDuration(0)).toBe('0 ns');
    expect(formatSize(1500)).toBe('1.465 KiB');
    expect(formatSize(1000)).toBe('1000 B');
    expect(formatSize(65_536)).toBe('64 KiB');
    expect(formatSize(1.5 * 1024 ** 2)).toBe('1.5 MiB');
  });

  it('parse_reads_formatted_rates_and_durations_back_within_rounding', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e13, noNaN: true }), (r) => {
        expect(Math.abs(parseRate('r', formatRate(r)) / r - 1)).toBeLessThan(5e-4);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 }), (ns) => {
        const back = parseDuration('d', formatDuration(ns));
        expect(Math.abs(back - ns)).toBeLessThanOrEqual(Math.max(0.5, ns * 5e-4));
      }),
    );
  });
});
