import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { COMMON_PARAM_DEFS, WORKLOADS } from '../../src/lab/registry.js';
import { optionName, paramOption, paramsFromOptions, parseSweepParam } from '../../src/cli/lab/params.js';
import { formatClock, Progress } from '../../src/cli/lab/progress.js';
import { tableLines } from '../../src/cli/lab/print.js';

const chatDefs = [...COMMON_PARAM_DEFS, ...WORKLOADS['chatroom']!.params];

describe('lab option names', () => {
  it('common_parameters_use_the_documented_option_names', () => {
    expect(COMMON_PARAM_DEFS.map(optionName)).toEqual(['transport', 'seed', 'rx-path', 'delack', 'csum', 'copy', 'era', 'link-rate', 'delay', 'loss', 'cpus', 'duration']);
  });
  it('workload_parameters_are_kebab_case_without_the_unit_suffix', () => {
    expect(WORKLOADS['chatroom']!.params.map(optionName)).toContain('msg-bytes');
    expect(WORKLOADS['bulk']!.params.map(optionName)).toContain('warmup');
    expect(WORKLOADS['rr']!.params.map(optionName)).toContain('service');
  });
  it('every option name is unique within a workload', () => {
    for (const w of Object.values(WORKLOADS)) {
      const names = [...COMMON_PARAM_DEFS, ...w.params].map(optionName);
      expect(new Set(names).size).toBe(names.length);
    }
  });
});

describe('lab option parsing', () => {
  const program = () => {
    const c = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    for (const d of chatDefs) c.addOption(paramOption(d));
    return c;
  };
  it('parses_units_and_maps_options_back_to_parameter_names', () => {
    const c = program().parse(['--link-rate', '1Gbit', '--delay', '2ms', '--rx-path', 'prequeue', '--rooms', '3', '--loss', '1%'], { from: 'user' });
    expect(paramsFromOptions(c.opts(), chatDefs)).toEqual({ linkRateBps: 1e9, delayNs: 2e6, rxPath: 'prequeue', rooms: 3, loss: 0.01 });
  });
  it('a_bad_choice_names_the_option_and_the_accepted_values', () => {
    expect(() => program().parse(['--rx-path', 'fast'], { from: 'user' })).toThrow(/--rx-path must be one of direct, prequeue, prequeue-hwcsum, zerocopy; got "fast"/);
  });
  it('a_bad_number_or_unit_names_the_option', () => {
    expect(() => program().parse(['--rooms', '0'], { from: 'user' })).toThrow(/--rooms must be an integer from 1 to 1000; got "0"/);
    expect(() => program().parse(['--link-rate', '10 parsecs'], { from: 'user' })).toThrow(/--link-rate must be a positive rate/);
  });
});

describe('sweep --param grammar', () => {
  it('parses_values_by_the_parameter_type', () => {
    const a = parseSweepParam('link-rate=100Mbit,1Gbit', chatDefs, 'chatroom');
    expect(a.def.name).toBe('linkRateBps');
    expect(a.values).toEqual([1e8, 1e9]);
    expect(parseSweepParam('rooms=1, 2,4', chatDefs, 'chatroom').values).toEqual([1, 2, 4]);
    expect(parseSweepParam('rxPath=direct', chatDefs, 'chatroom').label).toBe('rx-path');
  });
  it('an_unknown_name_lists_the_accepted_names', () => {
    expect(() => parseSweepParam('roomz=1', chatDefs, 'chatroom')).toThrow(/chatroom has no parameter "roomz"; accepted: transport, seed, rx-path.*rooms, users, msgs, msg-bytes/);
  });
  it('a_bad_value_names_the_parameter_and_what_it_accepts', () => {
    expect(() => parseSweepParam('era=2002,1999', chatDefs, 'chatroom')).toThrow('--param era must be one of 2002, 2025; got "1999"');
    expect(() => parseSweepParam('rooms', chatDefs, 'chatroom')).toThrow(/--param must be name=value/);
    expect(() => parseSweepParam('rooms=1,,2', chatDefs, 'chatroom')).toThrow(/--param rooms: empty value/);
  });
});

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 80, write: (s: string) => writes.push(s) } };
}

describe('progress on stderr', () => {
  it('a_terminal_gets_one_bar_redrawn_in_place_with_eta', () => {
    let t = 0;
    const { writes, stream } = fakeStream(true);
    const p = new Progress({ stream, now: () => t, label: 'sweep' });
    p.start(4);
    t = 2000;
    p.update(1, 'rooms=1');
    expect(writes.at(-1)).toBe('\r\x1b[2Ksweep: [######------------------] 1/4 25% 0:02 eta 0:06 rooms=1');
    p.log('a message');
    expect(writes.slice(-3)).toEqual(['\r\x1b[2K', 'sweep: a message\n', '\r\x1b[2K' + p.line()]);
    p.finish();
    expect(writes.at(-1)).toBe('\r\x1b[2K');
    expect(writes.every((w) => !w.includes('\n') || w.endsWith('a message\n'))).toBe(true);
  });
  it('messages_that_name_the_command_are_not_prefixed_twice', () => {
    const { writes, stream } = fakeStream(false);
    const p = new Progress({ stream, label: 'seed', now: () => 0 });
    p.log('seed: 24 runs');
    p.log('starting');
    const q = new Progress({ stream, label: 'rr', now: () => 0 });
    q.log('rr/sim: 1 conn');
    expect(writes).toEqual(['seed: 24 runs\n', 'seed: starting\n', 'rr/sim: 1 conn\n']);
  });
  it('a_pipe_gets_plain_lines', () => {
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const p = new Progress({ stream, now: () => t });
    p.start(2);
    t = 61_000;
    p.update(1, 'x=1');
    p.update(2, 'x=2');
    expect(writes).toEqual(['[1/2] 1:01 x=1\n', '[2/2] 1:01 x=2\n']);
  });
  it('clock format', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(75.4)).toBe('1:15');
    expect(formatClock(3725)).toBe('1:02:05');
  });
});

describe('aligned tables', () => {
  it('numbers_right_aligned_strings_left_units_in_headers', () => {
    const lines = tableLines({
      columns: [{ key: 'mode', label: 'mode' }, { key: 'gp', label: 'goodput', unit: 'bit/s' }],
      rows: [{ mode: 'copy', gp: 9.41e9 }, { mode: 'zerocopy', gp: 12 }],
    });
    expect(lines).toEqual(['mode      goodput (bit/s)', '--------  ---------------', 'copy                9.41G', 'zerocopy               12']);
  });
});
