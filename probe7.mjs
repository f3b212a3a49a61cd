import { SecAggServer } from './dist/aggregation/secagg/server/server.js';
const fin = SecAggServer.prototype.finish;
SecAggServer.prototype.finish = function (rem) { return fin.call(this, (s, p, g) => { console.error('REMOVE-START'); const t1 = performance.now(); rem(s, p, g); console.error('REMOVE-END', (performance.now() - t1).toFixed(0)); }); };
await import('./dist/bench/secagg.js');
