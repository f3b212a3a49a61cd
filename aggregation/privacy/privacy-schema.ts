import { z } from 'zod';

/*
 * Shared by the federation file (coordinator/config) and scenario files (simulations/scenarios), so a
 * rule written in one reads the same in the other. Every check says what it expects; strict objects,
 * because a misspelt parameter silently replaced by a default is worse than an error.
 */

const positive = () => {
  const message = 'expected a finite number > 0';
  return z.number({ invalid_type_error: message, required_error: message }).finite(message).gt(0, message);
};

const budgetSchema = () =>
  z
    .object({
      epsilon: positive(),
      delta: z
        .number({ invalid_type_error: 'expected a number in (0, 1)' })
        .gt(0, 'expected a number in (0, 1)')
        .lt(1, 'expected a number in (0, 1)'),
    })
    .strict();

/**
 * `central`: the coordinator adds Gaussian noise of standard deviation noiseMultiplier × clipNorm to
 * the sum. `distributed`: each member adds Skellam noise before masking, calibrated so that the
 * minimumClients survivors together reach that standard deviation. Either way updates are unweighted
 * (no member's example count enters the sum), and the budget stops training before it is exceeded.
 */
export const privacySchema = z
  .object({
    mode: z.enum(['none', 'central', 'distributed']).default('none'),
    noiseMultiplier: positive().optional(),
    budget: budgetSchema().optional(),
    /**
     * The budget each member holds itself to with its own accountant (signed into the federation
     * manifest), whatever the coordinator reports; under distributed DP a member stops taking part
     * before a round that would exceed it.
     */
    memberBudget: budgetSchema().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.mode !== 'none' && p.noiseMultiplier === undefined)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['noiseMultiplier'],
        message: `expected a noise multiplier z > 0 for ${p.mode} privacy`,
      });
  });

/**
 * `adaptive` (Andrew et al. 2021): every round the bound moves geometrically toward the
 * `targetQuantile` of the update norms, learned from the secure sum of one bit per member
 * ([norm <= bound]) noised with `bitNoiseStddev`. The bound never exceeds the quantizer's clipRange.
 */
export const clippingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed') }).strict(),
  z
    .object({
      kind: z.literal('adaptive'),
      targetQuantile: z
        .number({ invalid_type_error: 'expected a number in (0, 1)' })
        .gt(0, 'expected a number in (0, 1)')
        .lt(1, 'expected a number in (0, 1)')
        .default(0.5),
      learningRate: positive().default(0.2),
      bitNoiseStddev: z
        .number({ invalid_type_error: 'expected a finite number >= 0' })
        .finite('expected a finite number >= 0')
        .min(0, 'expected a finite number >= 0')
        .default(0),
    })
    .strict(),
]);
