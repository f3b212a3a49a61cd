import { applyTrigger, backdoorSuccessRate, type BackdoorTrigger } from '../attacks/index.js';
import { rankAuc } from '../../client-sdk/training/train.js';
import type { FinalResult, RoundResult } from '../report/results.js';
import { binaryCrossEntropy, predictDense, type DenseArchitecture } from '../training/dense-network.js';
import type { Consortium } from './consortium.js';

export interface Evaluation {
  readonly accuracy: number;
  readonly auc: number;
  readonly loss: number;
  readonly perSite: FinalResult['per_site'];
  readonly perSubgroup: FinalResult['per_subgroup'];
  readonly backdoorSuccess: number | null;
}

/**
 * The global model on every site's held-out test set: per-site accuracy (threshold 0.5) and AUC, their
 * unweighted means (FLamby's convention: each hospital counts once), accuracy per subgroup pooled over
 * sites, and, for a backdoor, the share of triggered test rows (true label not the target) classified as
 * the target.
 */
export function evaluateModel(
  arch: DenseArchitecture,
  weights: Float32Array,
  consortium: Consortium,
  trigger: BackdoorTrigger | undefined,
): Evaluation {
  const perSite: Record<string, { accuracy: number; auc: number; test_rows: number }> = {};
  const subgroupHits = new Float64Array(consortium.subgroupNames.length);
  const subgroupRows = new Float64Array(consortium.subgroupNames.length);
  let accuracySum = 0;
  let lossSum = 0;
  let aucSum = 0;
  let aucSites = 0;
  let triggeredRows = 0;
  let triggeredHits = 0;
  for (const site of consortium.sites) {
    const p = predictDense(arch, weights, site.test);
    let hits = 0;
    for (let i = 0; i < p.length; i++) {
      const correct = (p[i]! >= 0.5 ? 1 : 0) === site.test.y[i];
      if (correct) hits++;
      const group = site.testSubgroups?.[i];
      if (group !== undefined) {
        subgroupRows[group]!++;
        if (correct) subgroupHits[group]!++;
      }
    }
    const accuracy = site.test.rows === 0 ? 0 : hits / site.test.rows;
    const auc = rankAuc(p, site.test.y);
    lossSum += binaryCrossEntropy(p, site.test.y);
    perSite[site.name] = { accuracy, auc, test_rows: site.test.rows };
    accuracySum += accuracy;
    if (Number.isFinite(auc)) {
      aucSum += auc;
      aucSites++;
    }
    if (trigger !== undefined) {
      const triggered = applyTrigger(site.test, trigger);
      if (triggered.rows > 0) {
        const predictions = Float32Array.from(predictDense(arch, weights, triggered));
        triggeredHits += backdoorSuccessRate(predictions, triggered, trigger.target) * triggered.rows;
        triggeredRows += triggered.rows;
      }
    }
  }
  const perSubgroup: Record<string, { accuracy: number; test_rows: number }> = {};
  consortium.subgroupNames.forEach((name, g) => {
    perSubgroup[name] = {
      accuracy: subgroupRows[g]! === 0 ? 0 : subgroupHits[g]! / subgroupRows[g]!,
      test_rows: subgroupRows[g]!,
    };
  });
  return {
    accuracy: accuracySum / consortium.sites.length,
    loss: lossSum / consortium.sites.length,
    auc: aucSites === 0 ? NaN : aucSum / aucSites,
    perSite,
    perSubgroup,
    backdoorSuccess: trigger === undefined ? null : triggeredRows === 0 ? 0 : triggeredHits / triggeredRows,
  };
}

/** The final model's evaluation in the shape results.json records it. */
export function finalResultOf(evaluation: Evaluation): FinalResult {
  return {
    accuracy: evaluation.accuracy,
    auc: evaluation.auc,
    loss: evaluation.loss,
    per_site: evaluation.perSite,
    per_subgroup: evaluation.perSubgroup,
    ...(evaluation.backdoorSuccess === null ? {} : { backdoor_success: evaluation.backdoorSuccess }),
  };
}

/** A member whose suspicion reaches this counts as rejected for the round, on either transport. */
export const REJECTED_SUSPICION = 0.5;

/** Names of the members (1-based ids) a round's suspicion scores reject, sorted. */
export function rejectedSites(
  suspicion: Iterable<readonly [number, number]>,
  names: readonly string[],
): string[] {
  const rejected: string[] = [];
  for (const [id, score] of suspicion) if (score >= REJECTED_SUSPICION) rejected.push(names[id - 1]!);
  return rejected.sort();
}

/** One round's line of results.json: the global model's evaluation plus what the round did. */
export function roundResultOf(
  evaluation: Evaluation,
  round: Omit<RoundResult, 'accuracy' | 'auc' | 'backdoor_success'>,
): RoundResult {
  return {
    round: round.round,
    accuracy: evaluation.accuracy,
    auc: evaluation.auc,
    epsilon: round.epsilon,
    rejected: round.rejected,
    clip_bound: round.clip_bound,
    dropped: round.dropped,
    backdoor_success: evaluation.backdoorSuccess,
    completed: round.completed,
  };
}
