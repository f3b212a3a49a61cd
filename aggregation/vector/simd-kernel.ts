/**
 * A WebAssembly module with two kernels over a memory the caller provides:
 *   add(dst, src, n): for n words (n a multiple of 4) at byte addresses dst and src, dst += src mod 2^32
 *   sub(dst, src, n): dst -= src mod 2^32
 * Each loop step is one 128-bit i32x4.add / i32x4.sub: four words per instruction, where V8 runs a
 * JavaScript typed-array loop one word at a time (bench/prg measures both). Assembled by hand — it is
 * 120 bytes — so the build needs no WebAssembly toolchain; the opcodes are spelled out below and the
 * tests check both kernels against the scalar loop.
 */

const I32 = 0x7f;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const BLOCK = 0x02;
const LOOP = 0x03;
const EMPTY = 0x40;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00, 0x02, 0x00]; // memarg: alignment hint 2^2, offset 0
const V128_STORE = [SIMD, 0x0b, 0x02, 0x00];
const I32X4_ADD = [SIMD, 0xae, 0x01]; // opcode 174, LEB128
const I32X4_SUB = [SIMD, 0xb1, 0x01]; // opcode 177

/** Body of `(dst, src, n)` with one extra i32 local, `end`. */
function kernelBody(op: number[]): number[] {
  const code = [
    0x01,
    0x01,
    I32, // one local group: 1 × i32 (end)
    LOCAL_GET,
    0,
    LOCAL_GET,
    2,
    I32_CONST,
    2,
    I32_SHL,
    I32_ADD,
    LOCAL_SET,
    3, // end = dst + n*4
    BLOCK,
    EMPTY,
    LOOP,
    EMPTY,
    LOCAL_GET,
    0,
    LOCAL_GET,
    3,
    I32_GE_U,
    BR_IF,
    1, // while dst < end
    LOCAL_GET,
    0,
    LOCAL_GET,
    0,
    ...V128_LOAD,
    LOCAL_GET,
    1,
    ...V128_LOAD,
    ...op,
    ...V128_STORE, // *dst = *dst op *src, four words
    LOCAL_GET,
    0,
    I32_CONST,
    16,
    I32_ADD,
    LOCAL_SET,
    0,
    LOCAL_GET,
    1,
    I32_CONST,
    16,
    I32_ADD,
    LOCAL_SET,
    1,
    BR,
    0,
    END,
    END,
    END,
  ];
  return [...leb128(code.length), ...code];
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb128(content.length), ...content];
}

function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? low : low | 0x80);
  } while (n !== 0);
  return out;
}

const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

/** The module's bytes. It imports `env.memory`, shared, with the given page limits. */
export function simdKernelModule(maxPages: number): Uint8Array {
  const add = kernelBody(I32X4_ADD);
  const sub = kernelBody(I32X4_SUB);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, [0x01, 0x60, 0x03, I32, I32, I32, 0x00]), // types: (i32, i32, i32) -> ()
    ...section(2, [0x01, ...name('env'), ...name('memory'), 0x02, 0x03, 0x01, ...leb128(maxPages)]), // shared memory, min 1
    ...section(3, [0x02, 0x00, 0x00]), // two functions of type 0
    ...section(7, [0x02, ...name('add'), 0x00, 0x00, ...name('sub'), 0x00, 0x01]),
    ...section(10, [0x02, ...add, ...sub]),
  ]);
}
