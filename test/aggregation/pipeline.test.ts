import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkNoWrap,
  clipToL2Ball,
  cryptoReady,
  DEFAULT_MASK_PRG,
  deriveParameters,
  dequantizeSum,
  quantize,
  runLocalRound,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
  type ClientId,
  type QuantizerParams,
} from '../../aggregation/index.js';

await cryptoReady();

test('clip → quantize → secure sum with dropouts → dequantize recovers the survivors’ float sum', () => {
  const clients = 12;
  const dimension = 257;
  const bound = 1;
  const quantizer: QuantizerParams = { clipRange: bound, levels: 2 ** 16 + 1 };
  checkNoWrap(quantizer, clients);

  const random = seededRandom(seedFromNumber(31));
  const updates = new Map<ClientId, Float32Array>();
  for (let id = 1; id <= clients; id++) {
    const update = new Float32Array(dimension);
    const bytes = new Uint8Array(dimension);
    random.fill(bytes);
    for (let i = 0; i < dimension; i++) update[i] = (bytes[i]! - 127.5) / 40; // some beyond the L2 bound
    clipToL2Ball(update, bound);
    updates.set(id, update);
  }
  const ids = [...updates.keys()];
  const identities = new Map(ids.map((id) => [id, signingKeyPairFromSeed(seedFromNumber(900 + id))]));
  const report = runLocalRound({
    sessionId: seedFromNumber(77),
    parameters: deriveParameters({ clients, dropoutRate: 0.2, corruptFraction: 0 }),
    dimension,
    clients: ids,
    identities,
    input: (id) => quantize(updates.get(id)!, quantizer, random),
    random,
    prg: DEFAULT_MASK_PRG,
    drops: new Map([
      [3, { at: 'masked-input', disconnect: false }],
      [8, { at: 'unmasking', disconnect: true }],
    ]),
  });
  assert.ok(report.result, report.abortError?.message);
  const survivors = report.result.survivors;
  assert.deepEqual(
    survivors,
    ids.filter((id) => id !== 3),
  );

  const recovered = dequantizeSum(report.result.sum, quantizer, survivors.length);
  const step = (2 * bound) / (quantizer.levels - 1);
  for (let i = 0; i < dimension; i++) {
    const exact = survivors.reduce((s, id) => s + updates.get(id)![i]!, 0);
    // Stochastic rounding moves each client's value by less than one step.
    assert.ok(Math.abs(recovered[i]! - exact) < survivors.length * step, `coordinate ${i}`);
  }
});
