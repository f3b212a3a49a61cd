import { InvalidArgumentError } from '../errors.js';
import { FedAdam } from './fedadam.js';
import { FedAvg } from './fedavg.js';
import { FedYogi } from './fedyogi.js';
import type { ServerOptimizer, ServerOptimizerConfig, ServerOptimizerState } from './server-optimizer.js';

export { AdaptiveOptimizer, FedAdam } from './fedadam.js';
export { FedAvg } from './fedavg.js';
export { FedYogi } from './fedyogi.js';
export {
  decodeServerOptimizerState,
  encodeServerOptimizerState,
  type AdaptiveConfig,
  type FedAvgConfig,
  type ServerOptimizer,
  type ServerOptimizerConfig,
  type ServerOptimizerKind,
  type ServerOptimizerState,
} from './server-optimizer.js';

/**
 * The coordinator's one entry point: a fresh optimizer, or one resumed from a checkpointed `state`
 * (whose kind and length must match). It lives here rather than in server-optimizer.ts because the
 * algorithm files import that module's helpers; putting the factory there would make an import cycle.
 */
export function createServerOptimizer(
  config: ServerOptimizerConfig,
  dimension: number,
  state?: ServerOptimizerState,
): ServerOptimizer {
  switch (config.kind) {
    case 'fedavg':
      return new FedAvg(config, dimension, state);
    case 'fedadam':
      return new FedAdam(config, dimension, state);
    case 'fedyogi':
      return new FedYogi(config, dimension, state);
    default:
      // Configurations come from a parsed file, so the type's promise is checked at run time too.
      throw new InvalidArgumentError(
        'kind',
        `unknown server optimizer '${String((config as { kind: unknown }).kind)}'`,
      );
  }
}
