import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  assignWeights,
  buildModelFromSpec,
  flattenWeights,
  loadTensorFlow,
  trainLocally,
  type TF,
} from '../../client-sdk/training/index.js';
import { loadFederationModel } from '../../cli/federation-model.js';
import { ConfigError } from '../../coordinator/config/index.js';
import { parseModelSpec } from '../../proto/model-spec.js';

let tf: TF;
let dir: string;
before(async () => {
  tf = (await loadTensorFlow()).tf;
  dir = await mkdtemp(join(tmpdir(), 'cohort-model-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A layers model as `model.save('file://…')` would leave it: model.json plus one weights shard. */
async function saveLayersModel(model: import('@tensorflow/tfjs').LayersModel, to: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      await writeFile(join(to, 'weights.bin'), new Uint8Array(data));
      await writeFile(
        join(to, 'model.json'),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

test('a TF.js layers model from the federation file starts from its saved weights, and members can train it', async () => {
  const original = tf.sequential({
    layers: [
      tf.layers.dense({ units: 6, activation: 'elu', inputShape: [5] }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  await saveLayersModel(original, dir);
  const config = join(dir, 'federation.yaml');
  const model = await loadFederationModel({ kind: 'tfjs-layers', path: 'model.json' }, config, tf);
  assert.equal(model.spec.kind, 'tfjs-layers');
  const initial = await model.initialWeights();
  assert.deepEqual(initial, flattenWeights(original));

  // What a member does with RoundStarted.model_spec_json.
  const spec = parseModelSpec(JSON.stringify(model.spec));
  const member = await buildModelFromSpec(tf, spec, 0);
  assignWeights(member, initial);
  assert.deepEqual(flattenWeights(member), initial);
  const rows = 32;
  const x = new Float32Array(rows * 5).map((_, i) => Math.sin(i));
  const y = new Float32Array(rows).map((_, i) => i % 2);
  const result = await trainLocally(
    tf,
    member,
    { x, y, rows, features: 5 },
    { epochs: 1, batchSize: 8, learningRate: 0.1, seed: 1 },
  );
  assert.equal(result.numExamples, rows);
  assert.notDeepEqual(flattenWeights(member), initial);
});

test('a missing or malformed layers-model file is a configuration error naming model.path', async () => {
  const config = join(dir, 'federation.yaml');
  await assert.rejects(
    loadFederationModel({ kind: 'tfjs-layers', path: 'absent.json' }, config, tf),
    (e: unknown) => e instanceof ConfigError && /model\.path: .*absent\.json/.test(e.message),
  );
  await writeFile(join(dir, 'empty.json'), '{"format":"layers-model"}');
  await assert.rejects(
    loadFederationModel({ kind: 'tfjs-layers', path: 'empty.json' }, config, tf),
    /model\.path: .*no modelTopology/,
  );
});
