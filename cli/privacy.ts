import {
  DEFAULT_RDP_ORDERS,
  epsilonFromRdp,
  type RdpConversion,
} from '../aggregation/privacy/rdp-conversion.js';
import { rdpOfEvent } from '../aggregation/privacy/privacy-events.js';
import { UsageError } from './args.js';

/** `cohort privacy`: (ε, δ) of DP training with the Poisson-subsampled Gaussian mechanism. */
export interface PrivacyOptions {
  /** --sampling-rate: the probability q that a member is selected in a round. */
  readonly samplingRate: number;
  /** --noise-multiplier: z, the noise stddev over the clipping bound. */
  readonly noiseMultiplier: number;
  /** --steps: rounds (or DP-SGD steps). */
  readonly steps: number;
  /** --delta */
  readonly delta: number;
  /** --conversion: tight (default) or classic RDP → (ε, δ). */
  readonly conversion?: RdpConversion;
}

export interface PrivacyReport {
  readonly epsilon: number;
  /** The Rényi order that gave the smallest ε. */
  readonly order: number;
  readonly delta: number;
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
  readonly conversion: RdpConversion;
  /** One human-readable sentence. */
  readonly summary: string;
}

/** Validates every option (naming its flag) and accounts `steps` rounds over the default RDP orders. */
export function runPrivacy(options: PrivacyOptions): PrivacyReport {
  const { samplingRate, noiseMultiplier, steps, delta } = options;
  const conversion = options.conversion ?? 'tight';
  if (!(samplingRate > 0 && samplingRate <= 1)) {
    throw new UsageError(`--sampling-rate: expected a number in (0, 1], got ${samplingRate}`);
  }
  if (!(noiseMultiplier > 0 && Number.isFinite(noiseMultiplier))) {
    throw new UsageError(`--noise-multiplier: expected a finite number > 0, got ${noiseMultiplier}`);
  }
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new UsageError(`--steps: expected a positive integer, got ${steps}`);
  }
  if (!(delta > 0 && delta < 1)) {
    throw new UsageError(`--delta: expected a number in (0, 1), got ${delta}`);
  }
  if (conversion !== 'tight' && conversion !== 'classic') {
    throw new UsageError(`--conversion: expected tight or classic, got ${String(conversion)}`);
  }
  const rdp = rdpOfEvent({ kind: 'gaussian', samplingRate, noiseMultiplier, steps }, DEFAULT_RDP_ORDERS);
  const { epsilon, order } = epsilonFromRdp(rdp, DEFAULT_RDP_ORDERS, delta, conversion);
  const summary =
    `${steps} steps at sampling rate ${samplingRate} with noise multiplier ${noiseMultiplier} satisfy ` +
    `(${epsilon.toFixed(3)}, ${delta.toExponential()})-DP (${conversion} RDP conversion, order ${order})`;
  return { epsilon, order, delta, samplingRate, noiseMultiplier, steps, conversion, summary };
}
