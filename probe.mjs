import { SecAggServer } from './dist/aggregation/secagg/server/server.js';
const orig = SecAggServer.prototype.handle, fin = SecAggServer.prototype.finish, dl = SecAggServer.prototype.deadline;
const t = {};
SecAggServer.prototype.handle = function (from, m) { const t0 = performance.now(); const r = orig.call(this, from, m); const k = m.kind; t[k] = (t[k]||0) + performance.now() - t0; return r; };
SecAggServer.prototype.deadline = function () { const t0 = performance.now(); const r = dl.call(this); t.deadline = (t.deadline||0) + performance.now() - t0; return r; };
SecAggServer.prototype.finish = function (rem) { const t0 = performance.now(); const r = fin.call(this, (s, p, g) => { const t1 = performance.now(); rem(s, p, g); t.remove = performance.now() - t1; }); t.finish = performance.now() - t0; return r; };
process.on('exit', () => console.log(JSON.stringify(Object.fromEntries(Object.entries(t).map(([k,v])=>[k, Math.round(v)])))));
await import('./dist/bench/secagg.js');
