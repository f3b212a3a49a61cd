import { InvalidArgumentError, UnsafeParametersError } from '../errors.js';
import { logFactorials, tailFrom } from './hypergeometric.js';

/**
 * Neighbourhood degree k and share threshold t for SecAgg+ (Bell et al. 2020), as a pure function of
 * the number of clients n and the threat model.
 *
 * Each client shares its secrets with its k neighbours in a randomly relabelled Harary graph. For a
 * fixed honest client, a uniformly random relabelling makes its neighbourhood a uniform k-subset of
 * the other n-1 clients, so the number of neighbours of a given kind is hypergeometric.
 *
 * - Privacy against a server colluding with a fraction γ of clients. The server may tell some honest
 *   neighbours of client i that i dropped and others that it survived, collecting self-mask shares from
 *   one group and mask-key shares from the other; with C corrupt neighbours (who reveal both) it gets
 *   both secrets only if 2(t - C) <= k - C. So we require 2t > k + C, i.e. C <= 2t - k - 1, to fail with
 *   probability at most 2^-σ per client, union-bounded over the n clients:
 *       P[HG(n-1, ⌊γn⌋, k) >= 2t - k] <= 2^-σ / n.
 * - Correctness with a dropout rate δ. A corrupt neighbour may refuse to help, so up to ⌈(γ+δ)(n-1)⌉ of
 *   the others fail; reconstruction needs t of the k neighbours to answer:
 *       P[HG(n-1, ⌈(γ+δ)(n-1)⌉, k) > k - t] <= 2^-η / n.
 * The search takes the smallest even k (then the complete graph, k = n-1) for which a t satisfies both,
 * choosing the smallest such t (the widest dropout margin). With the complete graph the counts are
 * exact and the conditions become Bonawitz et al.'s t > (n-1+⌊γn⌋)/2 and t <= n-1-⌈(γ+δ)(n-1)⌉.
 */
export interface ThreatModel {
  readonly clients: number;
  readonly dropoutRate: number;
  readonly corruptFraction: number;
  /** Privacy failure at most 2^-securityBits per round (default 40). */
  readonly securityBits?: number;
  /** Round failure from too few shares at most 2^-correctnessBits (default 20). */
  readonly correctnessBits?: number;
  /**
   * Corrupt clients as an absolute count, overriding ⌊corruptFraction · clients⌋: a member that
   * assumes every corrupt member of the federation may be in its round passes ⌊γ · N⌋ here.
   */
  readonly corruptClients?: number;
}

export interface SecAggParameters {
  readonly clients: number;
  /** Neighbours per client (k); clients - 1 means the complete graph. */
  readonly degree: number;
  /** Shares needed to rebuild a secret (t); also the fewest clients any phase may continue with. */
  readonly threshold: number;
}

export interface DerivedParameters extends SecAggParameters {
  /** log2 of the privacy failure probability bound (≤ -securityBits). */
  readonly log2PrivacyFailure: number;
  /** log2 of the correctness failure probability bound (≤ -correctnessBits). */
  readonly log2CorrectnessFailure: number;
}

export function deriveParameters(model: ThreatModel): DerivedParameters {
  const { clients: n, dropoutRate: delta, corruptFraction: gamma } = model;
  const sigma = model.securityBits ?? 40;
  const eta = model.correctnessBits ?? 20;
  if (!Number.isInteger(n) || n < 3)
    throw new InvalidArgumentError('clients', `need an integer >= 3, got ${n}`);
  if (!(delta >= 0 && delta < 1))
    throw new InvalidArgumentError('dropoutRate', `need 0 <= δ < 1, got ${delta}`);
  if (!(gamma >= 0 && gamma < 1))
    throw new InvalidArgumentError('corruptFraction', `need 0 <= γ < 1, got ${gamma}`);
  if (!(sigma > 0 && sigma < 1024))
    throw new InvalidArgumentError('securityBits', `need 0 < σ < 1024, got ${sigma}`);
  if (!(eta > 0 && eta < 1024))
    throw new InvalidArgumentError('correctnessBits', `need 0 < η < 1024, got ${eta}`);
  const others = n - 1;
  const fixedCorrupt = model.corruptClients;
  if (fixedCorrupt !== undefined && !(Number.isInteger(fixedCorrupt) && fixedCorrupt >= 0))
    throw new InvalidArgumentError('corruptClients', `need an integer >= 0, got ${fixedCorrupt}`);
  // The epsilon keeps a product like 0.29 * 200 = 57.99999999999999 from undercounting the corrupt clients.
  const corrupt = Math.min(others, fixedCorrupt ?? Math.floor(gamma * n + 1e-9));
  const failing =
    fixedCorrupt === undefined
      ? Math.min(others, Math.ceil((gamma + delta) * others - 1e-9))
      : Math.min(others, corrupt + Math.ceil(delta * others - 1e-9));
  const lnFact = logFactorials(others);
  const privacyBudget = -sigma - Math.log2(n);
  const correctnessBudget = -eta - Math.log2(n);

  for (let k = 2; ; k += 2) {
    const degree = Math.min(k, others);
    const corruptTail = tailFrom(lnFact, others, corrupt, degree);
    const failTail = tailFrom(lnFact, others, failing, degree);
    for (let t = Math.floor(degree / 2) + 1; t <= degree; t++) {
      const log2Privacy = corruptTail(2 * t - degree);
      if (log2Privacy > privacyBudget) continue;
      const log2Correctness = failTail(degree - t + 1);
      if (log2Correctness > correctnessBudget) break; // a larger t only loses more
      return {
        clients: n,
        degree,
        threshold: t,
        log2PrivacyFailure: log2Privacy + Math.log2(n),
        log2CorrectnessFailure: log2Correctness + Math.log2(n),
      };
    }
    if (degree === others) {
      throw new UnsafeParametersError(
        `no secure-aggregation parameters for clients=${n}, dropoutRate=${delta}, corruptFraction=${gamma}${fixedCorrupt === undefined ? '' : ` (${corrupt} corrupt)`}: ` +
          `even the complete graph (k=${others}) needs t > ${(others + corrupt) / 2} for privacy but at most ` +
          `${others - failing} neighbours are sure to answer; lower the dropout or corrupt fraction, or add clients`,
      );
    }
  }
}

/** Checks explicitly configured parameters; the message names the failing value. */
export function validateParameters(p: SecAggParameters): void {
  const { clients: n, degree: k, threshold: t } = p;
  if (!Number.isInteger(n) || n < 3)
    throw new InvalidArgumentError('clients', `need an integer >= 3, got ${n}`);
  if (!Number.isInteger(k) || k < 2 || k > n - 1 || (k !== n - 1 && k % 2 !== 0)) {
    throw new InvalidArgumentError(
      'degree',
      `need an even integer in [2, ${n - 2}] or ${n - 1} (complete), got ${k}`,
    );
  }
  if (!Number.isInteger(t) || t <= k / 2 || t > k) {
    throw new InvalidArgumentError(
      'threshold',
      `need ${Math.floor(k / 2) + 1} <= t <= ${k} for degree ${k} (t <= k/2 lets a server rebuild both secrets of a client), got ${t}`,
    );
  }
}
