import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { buildModel, flattenWeights, type TF } from '../client-sdk/training/index.js';
import type { ModelSpec } from '../proto/model-spec.js';
import type { ModelConfig } from '../coordinator/config/index.js';
import { ConfigError } from '../coordinator/config/index.js';

export interface FederationModel {
  readonly spec: ModelSpec;
  /** Round 0's weights in the flattened layout every member trains and sends. */
  readonly initialWeights: () => Promise<Float32Array>;
}

interface WeightsManifestGroup {
  readonly paths: string[];
  readonly weights: { name: string; shape: number[]; dtype: string }[];
}

/**
 * Turns the federation file's `model` into what members are told to build and the starting weights.
 * Built-in dense models start from seed 0 (every run of a federation starts identically); a TF.js
 * layers model starts from the weights saved next to its model.json, or its initializers if none were saved.
 */
export async function loadFederationModel(
  model: ModelConfig,
  configPath: string,
  tf: TF,
): Promise<FederationModel> {
  const source = await readModelSource(model, configPath);
  const spec = source.spec;
  if (source.kind === 'dense') {
    const dense = source.spec;
    return { spec, initialWeights: () => Promise.resolve(flattenWeights(buildModel(tf, dense, 0))) };
  }
  const { file, path, topology } = source;
  return {
    spec,
    async initialWeights() {
      const groups = file.weightsManifest ?? [];
      const shards = await Promise.all(
        groups.flatMap((g) => g.paths.map((p) => readFile(resolve(dirname(path), p)))),
      );
      const loaded =
        groups.length === 0
          ? await tf.models.modelFromJSON({ modelTopology: topology as never })
          : await tf.loadLayersModel(
              tf.io.fromMemory({
                modelTopology: topology as never,
                weightSpecs: groups.flatMap((g) => g.weights) as never,
                weightData: new Uint8Array(Buffer.concat(shards)).buffer,
              }),
            );
      const weights = flattenWeights(loaded);
      loaded.dispose();
      return weights;
    },
  };
}

/** Only the architecture members are told to build, without TensorFlow (`cohort federation sign`). */
export async function loadModelSpec(model: ModelConfig, configPath: string): Promise<ModelSpec> {
  return (await readModelSource(model, configPath)).spec;
}

type DenseSpec = Exclude<ModelSpec, { kind: 'tfjs-layers' }>;
type ModelSource =
  | { kind: 'dense'; spec: DenseSpec }
  | {
      kind: 'layers';
      spec: ModelSpec;
      file: { weightsManifest?: WeightsManifestGroup[] };
      path: string;
      topology: object;
    };

async function readModelSource(model: ModelConfig, configPath: string): Promise<ModelSource> {
  if (model.kind !== 'tfjs-layers') {
    const spec: DenseSpec =
      model.kind === 'logistic-regression'
        ? { kind: model.kind, inputs: model.inputs }
        : {
            kind: model.kind,
            inputs: model.inputs,
            hidden: model.hidden,
            outputs: model.outputs,
            activation: model.activation,
          };
    return { kind: 'dense', spec };
  }
  const path = resolve(dirname(configPath), model.path);
  const problem = (detail: string) =>
    new ConfigError(configPath, [{ path: 'model.path', message: `${path}: ${detail}` }]);
  let file: { modelTopology?: unknown; weightsManifest?: WeightsManifestGroup[] };
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as typeof file;
  } catch (error) {
    throw problem(error instanceof Error ? error.message : String(error));
  }
  const topology = file.modelTopology;
  if (typeof topology !== 'object' || topology === null)
    throw problem('no modelTopology object (expected a TF.js layers-model model.json)');
  const spec: ModelSpec = { kind: 'tfjs-layers', topology: topology as Record<string, unknown> };
  return { kind: 'layers', spec, file, path, topology };
}
