import { z } from 'zod';
import { withLocalSchedule } from '../../aggregation/training/schedule.js';
import { clippingSchema, privacySchema } from '../../aggregation/privacy/privacy-schema.js';
import { aggregationSchema } from '../../aggregation/robust/rule-schema.js';
import { ATTACK_NAMES, isAttackName } from '../attacks/index.js';

/*
 * A scenario file: which hospitals, how they train, what goes wrong (dropouts, stragglers, poisoned
 * sites) and which defences and privacy settings to compare. Strict objects, as in the federation
 * file: a misspelt key is an error, never a silently used default.
 */

const integer = (min: number) => {
  const message = `expected an integer >= ${min}`;
  return z.number({ invalid_type_error: message, required_error: message }).int(message).min(min, message);
};
const positive = () => {
  const message = 'expected a finite number > 0';
  return z.number({ invalid_type_error: message, required_error: message }).finite(message).gt(0, message);
};
const probability = () => {
  const message = 'expected a probability in [0, 1)';
  return z.number({ invalid_type_error: message, required_error: message }).min(0, message).lt(1, message);
};

const dataSchema = z.discriminatedUnion('kind', [
  /** The four Fed-Heart-Disease hospitals, natural split, FLamby preprocessing. */
  z.object({ kind: z.literal('heart-disease') }).strict(),
  /** Breast Cancer Wisconsin dealt to `sites` hospitals with Dirichlet(alpha) label skew. */
  z
    .object({
      kind: z.literal('breast-cancer'),
      sites: integer(2),
      alpha: positive(),
      sizeSpread: z.number().min(0).optional(),
      minRows: integer(2).optional(),
    })
    .strict(),
  /** The seeded synthetic consortium (simulations/data/synthetic-consortium.ts documents it). */
  z
    .object({
      kind: z.literal('synthetic'),
      sites: integer(2),
      meanRows: integer(10).optional(),
      prevalence: probability().optional(),
      clinicalFeatures: integer(1).optional(),
    })
    .strict(),
]);

const dropoutSchema = z
  .object({
    advertiseKeys: probability().default(0),
    shareKeys: probability().default(0),
    maskedInput: probability().default(0),
    consistencyCheck: probability().default(0),
    unmasking: probability().default(0),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    seed: integer(0).default(1),
    data: dataSchema,
    model: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('logistic-regression') }).strict(),
        z
          .object({
            kind: z.literal('mlp'),
            hidden: z.array(integer(1)).min(1).max(4),
            activation: z.enum(['relu', 'tanh']).default('relu'),
          })
          .strict(),
      ])
      .default({ kind: 'logistic-regression' }),
    rounds: integer(1),
    /** Sites selected per round; at most the number of sites. */
    clientsPerRound: integer(2),
    /** Probability that a selected site drops at each protocol phase. */
    dropout: dropoutSchema.default({}),
    /** Probability that a selected site misses the training deadline (it never joins the round's protocol). */
    stragglers: probability().default(0),
    training: withLocalSchedule(
      z
        .object({
          epochs: integer(1).optional(),
          /** Minibatches per round instead of epochs (FLamby's benchmarks train this way). */
          steps: integer(1).optional(),
          batchSize: integer(1).default(8),
          learningRate: positive().default(0.05),
          clipNorm: positive().default(1),
          exampleCap: integer(1).default(256),
          /** Adaptive: the bound follows the targetQuantile of update norms (Andrew et al. 2021). */
          clipping: clippingSchema.default({ kind: 'fixed' }),
        })
        .strict(),
    ).default({}),
    serverOptimizer: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('fedavg'), learningRate: positive().default(1) }).strict(),
        z
          .object({
            kind: z.literal('fedadam'),
            learningRate: positive().default(0.03),
            beta1: probability().default(0.9),
            beta2: probability().default(0.99),
            tau: positive().default(1e-3),
          })
          .strict(),
        z
          .object({
            kind: z.literal('fedyogi'),
            learningRate: positive().default(0.03),
            beta1: probability().default(0.9),
            beta2: probability().default(0.99),
            tau: positive().default(1e-3),
          })
          .strict(),
      ])
      .default({ kind: 'fedavg' }),
    secureAggregation: z
      .object({
        expectedDropout: probability().default(0.1),
        corruptFraction: probability().default(0),
        clipRange: positive().default(1),
        levels: integer(2).default(1048577),
      })
      .strict()
      .default({}),
    /** The scenario's own defence: the primary run. */
    aggregation: aggregationSchema.default({ mode: 'secure' }),
    /** Defences compared against it in the report and in --matrix, by name. 'none' is secure FedAvg. */
    defences: z.record(aggregationSchema).default({}),
    privacy: privacySchema.default({}),
    /** Poisoned sites: the named `sites`, else a fraction of all sites (at least one when > 0) chosen from the seed. */
    attack: z
      .object({
        name: z.string().refine((n) => n === 'none' || isAttackName(n), {
          message: `expected none or one of ${ATTACK_NAMES.join(', ')}`,
        }),
        fraction: z.number().min(0).max(1).default(0.2),
        /** Name the poisoned sites instead of drawing `fraction` of them from the seed. */
        sites: z.array(z.string().min(1)).min(1).optional(),
        options: z.record(z.unknown()).default({}),
      })
      .strict()
      .default({ name: 'none' }),
    /** Attacks run against every defence by --matrix (each with its options); defaults to the scenario's attack. */
    matrixAttacks: z.record(z.record(z.unknown())).default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    const clipping = s.training.clipping;
    if (clipping.kind !== 'adaptive' || s.privacy.mode === 'none') return;
    if (s.privacy.mode === 'distributed')
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['training', 'clipping', 'kind'],
        message:
          'expected fixed clipping with distributed privacy (members calibrate noise to a fixed bound)',
      });
    else if (
      s.privacy.noiseMultiplier !== undefined &&
      !(2 * clipping.bitNoiseStddev > s.privacy.noiseMultiplier)
    )
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['training', 'clipping', 'bitNoiseStddev'],
        message: `expected more than noiseMultiplier / 2 = ${s.privacy.noiseMultiplier / 2}`,
      });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioAggregation = Scenario['aggregation'];
