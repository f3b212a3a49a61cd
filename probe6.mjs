import { simdKernelModule } from './dist/aggregation/vector/simd-kernel.js';
const bytes = simdKernelModule(65536);
console.log('bytes', bytes.length, WebAssembly.validate(bytes));
const mod = new WebAssembly.Module(bytes);
const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
const inst = new WebAssembly.Instance(mod, { env: { memory } });
const u = new Uint32Array(memory.buffer);
const N = 16384; for (let i = 0; i < N; i++) { u[i] = 0xfffffff0 + i; u[N + i] = i * 7; }
const ref = Array.from({length: N}, (_, i) => ((0xfffffff0 + i) + i * 7) >>> 0);
inst.exports.add(0, N * 4, N);
console.log('add ok', ref.every((v, i) => v === u[i]));
inst.exports.sub(0, N * 4, N);
console.log('sub ok', u.slice(0, N).every((v, i) => v === ((0xfffffff0 + i) >>> 0)));
const R = 20000; const t0 = performance.now(); for (let r = 0; r < R; r++) inst.exports.add(0, N * 4, N); const ms = performance.now() - t0;
console.log((R * N / ms / 1e6).toFixed(2), 'Gword/s');
const ks = new Uint8Array(N * 4).fill(1); const t1 = performance.now(); for (let r = 0; r < R; r++) { u.set(new Uint32Array(ks.buffer), N); inst.exports.add(0, N * 4, N); } const ms2 = performance.now() - t1;
console.log('with copy', (R * N / ms2 / 1e6).toFixed(2), 'Gword/s');
