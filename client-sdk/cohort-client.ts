import type { LayersModel } from '@tensorflow/tfjs';
import { systemRandom, type RandomSource } from '../aggregation/crypto/random-source.js';
import type { SigningKeyPair } from '../aggregation/crypto/signature.js';
import { encodeWeightedUpdate } from '../aggregation/vector/weighted-update.js';
import { CohortConnection } from './connection.js';
import { SecureRoundRunner, type RoundOutcome, type RoundStarted } from './secure-round-runner.js';
import {
  assignWeights,
  buildModel,
  flattenWeights,
  trainLocally,
  type ModelSpec,
  type TF,
  type TrainingData,
} from './training/index.js';

export interface RoundReport {
  readonly round: number;
  readonly examples: number;
  readonly loss: number;
  readonly accuracy: number;
}

export interface ParticipateOptions {
  /** Seed of local shuffling and of the model skeleton (weights always come from the coordinator). */
  readonly seed?: number;
  readonly random?: RandomSource;
  readonly onTrained?: (report: RoundReport) => void;
  readonly onRound?: (outcome: RoundOutcome) => void;
}

/**
 * A consortium member: connects with its identity, and for every round it is picked for downloads
 * the global model, trains it on its own data with TF.js, and sends only the clipped, weighted,
 * quantized, masked update. The embedding code supplies data and a TF.js instance, nothing about the
 * protocol. `participate` resolves with the final global weights when the federation ends.
 */
export class CohortClient {
  private constructor(
    readonly connection: CohortConnection,
    private readonly identity: SigningKeyPair,
  ) {}

  static async connect(address: string, identity: SigningKeyPair): Promise<CohortClient> {
    return new CohortClient(await CohortConnection.connect(address, identity), identity);
  }

  get memberIndex(): number {
    return this.connection.memberIndex;
  }

  participate(
    tf: TF,
    data: TrainingData,
    options: ParticipateOptions = {},
  ): Promise<{ weights: Float32Array; spec: ModelSpec }> {
    const random = options.random ?? systemRandom;
    const seed = options.seed ?? this.memberIndex;
    let model: LayersModel | undefined;
    let spec: ModelSpec | undefined;

    const train = async (started: RoundStarted): Promise<Uint32Array> => {
      const plan = started.training;
      if (plan === null) throw new Error('round_started carries no training plan');
      spec = JSON.parse(started.model_spec_json) as ModelSpec;
      model ??= buildModel(tf, spec, seed);
      const global = new Float32Array(
        (await this.connection.downloadModel(started.model_sha256)).slice().buffer,
      );
      assignWeights(model, global);
      const result = await trainLocally(tf, model, data, {
        epochs: plan.epochs,
        batchSize: plan.batch_size,
        learningRate: plan.learning_rate,
        seed: seed * 1000 + started.round,
      });
      options.onTrained?.({
        round: started.round,
        examples: result.numExamples,
        loss: result.loss,
        accuracy: result.accuracy,
      });
      const local = flattenWeights(model);
      const delta = new Float32Array(local.length);
      for (let i = 0; i < local.length; i++) delta[i] = local[i]! - global[i]!;
      const s = started.secagg;
      return encodeWeightedUpdate(
        delta,
        result.numExamples,
        {
          quantizer: { clipRange: s.clip_range, levels: s.levels },
          clipNorm: plan.clip_norm,
          exampleCap: plan.example_cap,
        },
        random,
      );
    };

    return new Promise((resolve, reject) => {
      const runner = new SecureRoundRunner(
        this.connection,
        this.identity,
        random,
        train,
        (outcome) => options.onRound?.(outcome),
        (event) => {
          if (event.event !== 'federation_finished') return;
          const finished = event['federation_finished'] as { model_sha256: Uint8Array };
          this.connection
            .downloadModel(finished.model_sha256)
            .then((bytes) => resolve({ weights: new Float32Array(bytes.slice().buffer), spec: spec! }))
            .catch(reject);
        },
      );
      this.connection.subscribe(runner.onEvent, (error) => error && reject(error)).catch(reject);
    });
  }

  close(): void {
    this.connection.close();
  }
}
