/**
 * The model architecture as it travels in RoundStarted.model_spec_json: the one definition the
 * coordinator writes and every member reads, so both sides build the same layers in the same order.
 * Weights never travel here; they are the model bytes every member downloads by SHA-256.
 */
export type ModelSpec =
  | { readonly kind: 'logistic-regression'; readonly inputs: number }
  | {
      readonly kind: 'mlp';
      readonly inputs: number;
      readonly hidden: readonly number[];
      readonly outputs?: number;
      readonly activation?: 'relu' | 'tanh';
    }
  /** A TensorFlow.js layers-model topology (model.json's `modelTopology`), for architectures beyond dense stacks. */
  | { readonly kind: 'tfjs-layers'; readonly topology: Record<string, unknown> };

/**
 * RoundStarted.model_spec_json exactly as the coordinator sends it; the federation manifest signs its
 * SHA-256, so this one function writes both.
 */
export function modelSpecJson(spec: ModelSpec): string {
  return JSON.stringify(spec);
}

/** A model_spec_json a member cannot build; `field` names the part at fault. */
export class ModelSpecError extends Error {
  override readonly name = 'ModelSpecError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`model_spec_json.${field}: ${detail}`);
  }
}

/** Parses and checks a received spec: a coordinator bug or a hostile peer must not crash the member's trainer. */
export function parseModelSpec(json: string): ModelSpec {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ModelSpecError('', `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof value !== 'object' || value === null) throw new ModelSpecError('', 'expected an object');
  const spec = value as Record<string, unknown>;
  switch (spec['kind']) {
    case 'logistic-regression':
      return { kind: 'logistic-regression', inputs: width(spec, 'inputs') };
    case 'mlp': {
      const hidden = spec['hidden'];
      if (!Array.isArray(hidden) || hidden.length === 0)
        throw new ModelSpecError('hidden', 'expected a non-empty list of layer widths');
      const activation = spec['activation'] ?? 'relu';
      if (activation !== 'relu' && activation !== 'tanh')
        throw new ModelSpecError('activation', `expected relu or tanh, got ${JSON.stringify(activation)}`);
      return {
        kind: 'mlp',
        inputs: width(spec, 'inputs'),
        hidden: hidden.map((_, i) =>
          width(hidden as unknown as Record<string, unknown>, String(i), `hidden[${i}]`),
        ),
        outputs: spec['outputs'] === undefined ? 1 : width(spec, 'outputs'),
        activation,
      };
    }
    case 'tfjs-layers': {
      const topology = spec['topology'];
      if (typeof topology !== 'object' || topology === null || Array.isArray(topology))
        throw new ModelSpecError('topology', 'expected a TF.js layers-model topology object');
      return { kind: 'tfjs-layers', topology: topology as Record<string, unknown> };
    }
    default:
      throw new ModelSpecError(
        'kind',
        `expected logistic-regression, mlp or tfjs-layers, got ${JSON.stringify(spec['kind'])}`,
      );
  }
}

function width(container: Record<string, unknown>, key: string, field = key): number {
  const value = container[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new ModelSpecError(field, `expected a positive integer, got ${JSON.stringify(value)}`);
  return value;
}
