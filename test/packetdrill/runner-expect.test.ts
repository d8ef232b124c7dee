// The option comparison on its own: packetdrill's in-order rule (strict) and
// what the portable verdict forgives (order and padding only, never values).
import { describe, expect, it } from 'vitest';
import { compareOptions } from '../../src/packetdrill/runner/expect.js';
import type { WireOption } from '../../src/packetdrill/runner/packets.js';

const mss = (value: number): WireOption => ({ kind: 'mss', value });
const ws = (value: number): WireOption => ({ kind: 'wscale', value });
const nop: WireOption = { kind: 'nop' };
const eol: WireOption = { kind: 'eol' };
const sackOK: WireOption = { kind: 'sackOK' };
const ts = (val: number, ecr: number): WireOption => ({ kind: 'timestamp', val, ecr });

describe('option comparison', () => {
  it('identical_lists_have_no_difference', () => {
    expect(compareOptions([mss(1460), sackOK, eol, eol], [mss(1460), sackOK, eol, eol])).toEqual([]);
  });

  it('ts_val_is_not_compared_without_a_tick (packetdrill)', () => {
    expect(compareOptions([nop, nop, ts(100, 7)], [nop, nop, ts(123456, 7)])).toEqual([]);
  });

  it('eol_versus_nop_padding_is_padding', () => {
    const d = compareOptions([mss(1460), sackOK, eol, eol], [mss(1460), sackOK, nop, nop]);
    expect(d).toEqual([{ field: 'options', expected: '<mss 1460,sackOK,eol,eol>', actual: '<mss 1460,sackOK,nop,nop>', portable: true, note: 'option order/padding' }]);
  });

  it('another_order_of_the_same_options_is_forgiven_by_portable_only', () => {
    const d = compareOptions([mss(1460), nop, ws(6), sackOK, ts(1, 0)], [mss(1460), sackOK, ts(9, 0), nop, ws(6)]);
    expect(d).toHaveLength(1);
    expect(d[0]!.portable).toBe(true);
  });

  it('a_different_value_is_never_forgiven', () => {
    expect(compareOptions([mss(1460), nop, ws(6)], [mss(1460), nop, ws(7)])[0]!.portable).toBe(false);
    expect(compareOptions([mss(1460)], [mss(536)])[0]!.portable).toBe(false);
  });

  it('a_missing_or_extra_option_is_never_forgiven', () => {
    expect(compareOptions([mss(1460), sackOK, eol, eol], [mss(1460), nop, nop, nop, nop])[0]!.portable).toBe(false);
    expect(compareOptions([], [mss(1460)])[0]!).toMatchObject({ expected: '(none)', actual: '<mss 1460>', portable: false });
  });

  it('a_different_ts_ecr_is_a_timestamp_value', () => {
    expect(compareOptions([nop, nop, ts(1, 700)], [nop, nop, ts(1, 701)])).toEqual([
      { field: 'ts', expected: 'TS ecr 700', actual: 'TS ecr 701', portable: true, note: 'timestamp value' },
    ]);
  });
});
