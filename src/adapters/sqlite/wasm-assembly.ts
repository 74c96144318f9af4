// Hand assembly of small WebAssembly modules (the kernels beside the vector indexes): the API
// they are compiled with, and the encodings their bytes are written in.

/** The part of the WebAssembly API used here (Node's types for this target do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  };
}
export const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export const I32 = 0x7f;

/** The scalar instructions the kernels use, by opcode. */
export const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i32LeS: 0x4c,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Xor: 0x85,
  i32WrapI64: 0xa7,
  /** The empty block type. */
  void: 0x40,
} as const;

/** A name: its length, then its ASCII bytes. */
function name(text: string): number[] {
  return [text.length, ...Buffer.from(text, 'ascii')];
}

/** An unsigned LEB128 integer. */
export function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** A signed LEB128 integer (i32.const), for non-negative values. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>>= 7;
    if (value === 0 && (byte & 0x40) === 0) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** A function type taking `params` i32s and returning `results`. */
export function funcType(params: number, results: number[]): number[] {
  return [0x60, params, ...Array<number>(params).fill(I32), results.length, ...results];
}

/** A section: its id, its contents' length, its contents. */
function section(id: number, contents: number[]): number[] {
  return [id, ...leb(contents.length), ...contents];
}

/** Bytes in a page of WebAssembly memory. */
export const PAGE = 65_536;

/**
 * A module that imports its memory (env.memory, at least one page) and exports one function per
 * body, each of the type at the same index, under the name at the same index.
 */
export function assemble(exports: string[], types: number[][], bodies: number[][]): object {
  const count = leb(bodies.length);
  return new wasm.Module(
    Uint8Array.from([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
      ...section(1, [...count, ...types.flat()]),
      ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]),
      ...section(3, [...count, ...bodies.map((_, i) => i)]),
      ...section(7, [...count, ...exports.flatMap((text, i) => [...name(text), 0x00, i])]),
      ...section(10, [...count, ...bodies.flatMap((body) => [...leb(body.length), ...body])]),
    ]),
  );
}
