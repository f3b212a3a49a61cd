import { chacha20Prg } from './dist/aggregation/crypto/mask-prg.js';
const t0 = performance.now(); let x = 0;
for (let m = 0; m < 2000; m++) { const s = chacha20Prg.open(new Uint8Array(32).fill(m % 251), 0); for (let a = 0; a < 100000; a += 16384) x ^= s.next(Math.min(16384, 100000 - a))[0]; }
const t1 = performance.now();
let y = 0; for (let i = 0; i < 3e8; i++) y = (y + i * 7) | 0;
console.log(process.argv[2], 'prg', (t1 - t0).toFixed(0), 'ms; pure-js loop', (performance.now() - t1).toFixed(0), 'ms', x & 1, y & 1);
