import { Worker } from 'node:worker_threads';
import { applyRange } from './dist/coordinator/parallel-unmask.js';
import { chacha20Prg } from './dist/aggregation/crypto/mask-prg.js';
const D = 100000;
const plan = Array.from({length: 1906}, (_, i) => ({ seed: new Uint8Array(32).fill(i % 251), sign: i % 2 ? 1 : -1 }));
const sum = new Uint32Array(new SharedArrayBuffer(D * 4));
for (let rep = 0; rep < 3; rep++) {
  let t0 = performance.now(); applyRange(sum, plan, chacha20Prg, 0, D / 2); const h1 = performance.now() - t0;
  t0 = performance.now(); applyRange(sum, plan, chacha20Prg, D / 2, D); const h2 = performance.now() - t0;
  t0 = performance.now(); applyRange(sum, plan, chacha20Prg, 0, D); const full = performance.now() - t0;
  console.log('first half', h1.toFixed(0), 'second half', h2.toFixed(0), 'full', full.toFixed(0));
}
