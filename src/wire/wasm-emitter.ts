/**
 * A tiny WebAssembly binary emitter: just enough of the binary format (WebAssembly
 * Core Specification §5, "Binary Format", plus the fixed-width SIMD opcodes) to
 * build small hand-written modules from TypeScript, without wabt or binaryen.
 *
 * Owns: LEB128 encoding, section framing, function bodies (locals, structured
 * control, loads/stores with memargs, scalar and v128 opcodes).
 * Must not: know what the emitted code computes (checksum-wasm.ts does), or
 * validate types (WebAssembly.validate does that for us).
 *
 * Output is deterministic: the same calls give the same bytes.
 */

/** Value types (spec §5.3.1); v128 from the SIMD proposal. */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Single-byte opcodes used by our modules (spec §5.4). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  i64Load8U: 0x31,
  i64Load16U: 0x33,
  i64Load32U: 0x35,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Store8: 0x3a,
  i32Store16: 0x3b,
  i64Store8: 0x3c,
  i64Store16: 0x3d,
  i64Store32: 0x3e,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64And: 0x83,
  i64Or: 0x84,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
} as const;

/** SIMD opcodes: 0xFD prefix followed by this number as LEB128 u32. */
export const Simd = {
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  i8x16Shuffle: 0x0d,
  i8x16Swizzle: 0x0e,
  i8x16Splat: 0x0f,
  i16x8Splat: 0x10,
  i32x4Splat: 0x11,
  i64x2Splat: 0x12,
  i32x4ExtractLane: 0x1b,
  i64x2ExtractLane: 0x1d,
  v128Not: 0x4d,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Xor: 0x51,
  i8x16Add: 0x6e,
  i16x8ExtaddPairwiseI8x16U: 0x7d,
  i32x4ExtaddPairwiseI16x8S: 0x7e,
  i32x4ExtaddPairwiseI16x8U: 0x7f,
  i16x8ShrU: 0x8d,
  i16x8Add: 0x8e,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4DotI16x8S: 0xba,
  i64x2ExtendLowI32x4S: 0xc7,
  i64x2ExtendHighI32x4S: 0xc8,
  i64x2ExtendLowI32x4U: 0xc9,
  i64x2ExtendHighI32x4U: 0xca,
  i64x2ShrU: 0xcd,
  i64x2Add: 0xce,
} as const;

/** Block type "no results" (spec §5.4.1). */
const BLOCK_EMPTY = 0x40;

/** Unsigned LEB128 (spec §5.2.2) of a non-negative integer < 2^32. */
export function uleb(n: number, out: number[] = []): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb: bad value ${n}`);
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a bigint (covers i32 and i64 immediates). */
export function sleb(value: bigint, out: number[] = []): number[] {
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n; // arithmetic shift on bigint
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A name as a length-prefixed UTF-8 vector (spec §5.2.4). */
function name(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  for (const b of bytes) out.push(b);
}

/**
 * Builds one function body. Methods append instructions and return `this`, so a
 * body reads top to bottom like the text format. Parameters are locals
 * 0..params-1; `local(type)` declares more.
 */
export class FunctionBuilder {
  private readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** Declares a local (zero-initialised, spec §4.4.10) and returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  /** Raw bytes (an opcode and its immediates). */
  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  get(i: number): this {
    return this.op(Op.localGet, ...uleb(i));
  }
  set(i: number): this {
    return this.op(Op.localSet, ...uleb(i));
  }
  tee(i: number): this {
    return this.op(Op.localTee, ...uleb(i));
  }
  i32(n: number): this {
    return this.op(Op.i32Const, ...sleb(BigInt(n | 0)));
  }
  i64(n: bigint | number): this {
    return this.op(Op.i64Const, ...sleb(BigInt.asIntN(64, BigInt(n))));
  }

  /** Memory access with memarg (spec §5.4.6): alignment as log2, constant offset. */
  mem(opcode: number, alignLog2: number, offset = 0): this {
    return this.op(opcode, ...uleb(alignLog2), ...uleb(offset));
  }

  /** A SIMD instruction without immediates. */
  simd(sub: number): this {
    return this.op(0xfd, ...uleb(sub));
  }
  /** SIMD lane access (extract/replace lane) with its lane index immediate. */
  lane(sub: number, laneIndex: number): this {
    return this.op(0xfd, ...uleb(sub), laneIndex);
  }
  /** v128.load / v128.store with a memarg (natural alignment is 2^4). */
  simdMem(sub: number, offset = 0, alignLog2 = 0): this {
    return this.op(0xfd, ...uleb(sub), ...uleb(alignLog2), ...uleb(offset));
  }
  /** v128.const from 16 little-endian bytes. */
  v128Const(bytes: readonly number[]): this {
    if (bytes.length !== 16) throw new RangeError('v128.const needs 16 bytes');
    return this.op(0xfd, ...uleb(Simd.v128Const), ...bytes);
  }
  /** v128.const with eight equal 16-bit lanes. */
  v128ConstI16(lane: number): this {
    const b: number[] = [];
    for (let i = 0; i < 8; i++) b.push(lane & 0xff, (lane >>> 8) & 0xff);
    return this.v128Const(b);
  }

  block(): this {
    return this.op(Op.block, BLOCK_EMPTY);
  }
  loop(): this {
    return this.op(Op.loop, BLOCK_EMPTY);
  }
  if(): this {
    return this.op(Op.if, BLOCK_EMPTY);
  }
  end(): this {
    return this.op(Op.end);
  }
  br(depth: number): this {
    return this.op(Op.br, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.op(Op.brIf, ...uleb(depth));
  }

  /** The function body (spec §5.5.13): size, local declarations (run-length), code, end. */
  encode(): number[] {
    const body: number[] = [];
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(runs.length, body);
    for (const [count, type] of runs) {
      uleb(count, body);
      body.push(type);
    }
    for (const b of this.code) body.push(b);
    body.push(Op.end);
    return [...uleb(body.length), ...body];
  }
}

/** One exported function of a module. */
export interface ExportedFunction {
  name: string;
  fn: FunctionBuilder;
}

/**
 * Assembles a module that imports one memory (`module`.`field`, at least
 * `minPages` 64 KiB pages) and exports the given functions, in section order
 * type(1), import(2), function(3), export(7), code(10) (spec §5.5).
 */
export function buildModule(
  memoryImport: { module: string; field: string; minPages: number },
  functions: readonly ExportedFunction[],
): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1
  const section = (id: number, content: number[]): void => {
    out.push(id);
    uleb(content.length, out);
    for (const b of content) out.push(b);
  };

  // Type section: one functype per function (duplicates are harmless and keep indices simple).
  const types: number[] = [];
  uleb(functions.length, types);
  for (const { fn } of functions) {
    types.push(0x60);
    uleb(fn.params.length, types);
    types.push(...fn.params);
    uleb(fn.results.length, types);
    types.push(...fn.results);
  }
  section(1, types);

  // Import section: the memory, limits {min} (flag 0x00: no maximum).
  const imports: number[] = [];
  uleb(1, imports);
  name(memoryImport.module, imports);
  name(memoryImport.field, imports);
  imports.push(0x02, 0x00);
  uleb(memoryImport.minPages, imports);
  section(2, imports);

  // Function section: function i has type i.
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  functions.forEach((_, i) => uleb(i, funcs));
  section(3, funcs);

  // Export section.
  const exports: number[] = [];
  uleb(functions.length, exports);
  functions.forEach(({ name: n }, i) => {
    name(n, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports);

  // Code section.
  const code: number[] = [];
  uleb(functions.length, code);
  for (const { fn } of functions) code.push(...fn.encode());
  section(10, code);

  return Uint8Array.from(out);
}
