import { Worker } from 'node:worker_threads';
import { applyRange } from './dist/coordinator/parallel-unmask.js';
import { chacha20Prg } from './dist/aggregation/crypto/mask-prg.js';
const D = 100000;
const plan = Array.from({length: 1906}, (_, i) => ({ seed: new Uint8Array(32).fill(i % 251), sign: i % 2 ? 1 : -1 }));
const seeds = new Uint8Array(plan.length * 32); const signs = new Int8Array(plan.length);
plan.forEach((m, i) => { seeds.set(m.seed, i * 32); signs[i] = m.sign; });
const w = new Worker(`
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async (job) => {
  const { applyRange } = await import('/work/main/dist/coordinator/parallel-unmask.js');
  const { maskPrgById } = await import('/work/main/dist/aggregation/crypto/mask-prg.js');
  const t0 = performance.timeOrigin + performance.now();
  const plan = Array.from(job.signs, (s, i) => ({ seed: job.seeds.subarray(i * 32, i * 32 + 32), sign: s === 1 ? 1 : -1 }));
  applyRange(job.sum, plan, maskPrgById('chacha20'), job.start, job.end);
  const t1 = performance.timeOrigin + performance.now();
  job.times[0] = t0; job.times[1] = t1;
  Atomics.store(job.done, 0, 1); Atomics.notify(job.done, 0);
});`, { eval: true });
await new Promise(r => w.once('online', r));
for (let rep = 0; rep < 4; rep++) {
  const sum = new Uint32Array(new SharedArrayBuffer(D * 4));
  const done = new Int32Array(new SharedArrayBuffer(4)); const times = new Float64Array(new SharedArrayBuffer(16));
  const s0 = performance.timeOrigin + performance.now();
  w.postMessage({ sum, seeds, signs, start: D / 2, end: D, done, times });
  applyRange(sum, plan, chacha20Prg, 0, D / 2);
  const s1 = performance.timeOrigin + performance.now();
  while (Atomics.load(done, 0) === 0) Atomics.wait(done, 0, 0);
  const s2 = performance.timeOrigin + performance.now();
  console.log(`main ${(s1 - s0).toFixed(0)}ms; worker starts +${(times[0] - s0).toFixed(0)} ends +${(times[1] - s0).toFixed(0)}; total ${(s2 - s0).toFixed(0)}`);
}
await w.terminate();
