const N = 16384, R = 8000;
const dstU = new Uint32Array(100000), src = new Uint32Array(N); for (let i = 0; i < N; i++) src[i] = (i * 2654435761) >>> 0;
function addU(dst, s, off) { const n = s.length; for (let i = 0; i < n; i++) dst[off + i] = dst[off + i] + s[i]; }
function addI(dst, s, off) { const n = s.length; for (let i = 0; i < n; i++) dst[off + i] = (dst[off + i] + s[i]) | 0; }
function addISub(dst, s, off) { const v = dst.subarray(off, off + s.length); const n = s.length; for (let i = 0; i < n; i++) v[i] = (v[i] + s[i]) | 0; }
function addUSub(dst, s, off) { const v = dst.subarray(off, off + s.length); const n = s.length; for (let i = 0; i < n; i++) v[i] = v[i] + s[i]; }
const dstI = new Int32Array(dstU.buffer), srcI = new Int32Array(src.buffer);
for (const [name, f, d, s] of [['uint32', addU, dstU, src], ['int32|0', addI, dstI, srcI], ['int32|0 subarray', addISub, dstI, srcI], ['uint32 subarray', addUSub, dstU, src]]) {
  for (let w = 0; w < 200; w++) f(d, s, (w % 6) * 16384);
  const t0 = performance.now(); for (let r = 0; r < R; r++) f(d, s, (r % 6) * 16384); const ms = performance.now() - t0;
  console.log(name.padEnd(18), (R * N / ms / 1e6).toFixed(2), 'Gword/s');
}
