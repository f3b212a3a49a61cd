import { shuffle, type RandomSource } from '../../aggregation/crypto/random-source.js';
import { signingKeyPairFromSeed, type SigningKeyPair } from '../../aggregation/crypto/signature.js';
import { createServerOptimizer } from '../../aggregation/optimizer/index.js';
import { initialAdaptiveClip, PrivacyPolicy, updateClipBound } from '../../aggregation/privacy/index.js';
import { bucketSeed } from '../../aggregation/robust/buckets.js';
import { deriveParameters, type ClientId, type DropPoint } from '../../aggregation/secagg/index.js';
import type { TabularSplit } from '../../client-sdk/datasets/tabular.js';
import { createAttack, type Attack, type AttackName, type BackdoorTrigger } from '../attacks/index.js';
import { taggedBytes, taggedRandom, uniformDraw } from '../data/samplers.js';
import type { RoundResult, SimulationRun } from '../report/results.js';
import type { Scenario, ScenarioAggregation } from '../scenarios/schema.js';
import { initialWeights, trainDense, type DenseArchitecture } from '../training/dense-network.js';
import type { Consortium } from './consortium.js';
import { evaluateModel, finalResultOf, rejectedSites, roundResultOf } from './evaluate.js';
import { aggregateInProcess, type SiteUpdate } from './in-process-aggregation.js';

export interface RunSettings {
  readonly seed: number;
  readonly attack: { readonly name: string; readonly options: Readonly<Record<string, unknown>> };
  readonly defence: { readonly name: string; readonly aggregation: ScenarioAggregation };
  /** Called after every round with the rounds done so far. */
  readonly onRound?: (round: number) => void;
}

const PHASES: readonly [keyof Scenario['dropout'], DropPoint][] = [
  ['advertiseKeys', 'advertise-keys'],
  ['shareKeys', 'share-keys'],
  ['maskedInput', 'masked-input'],
  ['consistencyCheck', 'consistency-check'],
  ['unmasking', 'unmasking'],
];

export function architectureOf(scenario: Scenario, features: number): DenseArchitecture {
  return scenario.model.kind === 'mlp'
    ? { widths: [features, ...scenario.model.hidden, 1], activation: scenario.model.activation }
    : { widths: [features, 1], activation: 'relu' };
}

/**
 * The poisoned sites (indices): those the scenario names, else a seeded choice of `fraction` of them,
 * the same for every defence of a scenario and seed.
 */
export function poisonedSites(
  scenario: Scenario,
  names: readonly string[],
  seed: number,
  attack: string,
): number[] {
  if (attack === 'none') return [];
  const named = scenario.attack.sites;
  if (named !== undefined)
    return named
      .map((name) => {
        const index = names.indexOf(name);
        if (index < 0)
          throw new Error(
            `attack.sites: no site '${name}' in this scenario (sites: ${names.slice(0, 8).join(', ')}…)`,
          );
        return index;
      })
      .sort((a, b) => a - b);
  if (scenario.attack.fraction === 0) return [];
  const sites = names.length;
  const count = Math.max(1, Math.round(scenario.attack.fraction * sites));
  const order = shuffle(
    Array.from({ length: sites }, (_, i) => i),
    taggedRandom(seed, 'poisoned'),
  );
  return order.slice(0, count).sort((a, b) => a - b);
}

/**
 * One defence against one attack, in process: every round selects sites, lets stragglers miss it,
 * trains the rest locally, lets poisoned sites attack, aggregates with the real protocol and rules
 * (dropouts scripted per phase), applies the server optimizer and evaluates the model on every site.
 * Every random choice comes from a stream tagged with the seed, the round and its purpose, so a run is
 * reproducible bit for bit and two defences face the same selections, dropouts and attackers.
 */
export function runScenario(
  scenario: Scenario,
  consortium: Consortium,
  settings: RunSettings,
): SimulationRun {
  const { seed } = settings;
  const arch = architectureOf(scenario, consortium.features);
  const sites = consortium.sites;
  if (scenario.clientsPerRound > sites.length)
    throw new Error(
      `clientsPerRound: expected at most the ${sites.length} sites of this scenario, got ${scenario.clientsPerRound}`,
    );
  const { attack, poisoned, trainingData, trigger } = preparePoisoning(scenario, sites, settings);
  const identities = new Map<ClientId, SigningKeyPair>(
    sites.map((_, i) => [i + 1, signingKeyPairFromSeed(taggedBytes(seed, `identity/${i}`))]),
  );

  let weights = initialWeights(arch, taggedRandom(seed, 'init'));
  const optimizer = createServerOptimizer(scenario.serverOptimizer, weights.length);
  const privacy = new PrivacyPolicy({
    ...scenario.privacy,
    clipNorm: scenario.training.clipNorm,
    quantizer: { clipRange: scenario.secureAggregation.clipRange, levels: scenario.secureAggregation.levels },
    exampleCap: scenario.training.exampleCap,
    corruptFraction: scenario.secureAggregation.corruptFraction,
    ...(scenario.training.clipping.kind === 'adaptive'
      ? { clipBitNoiseStddev: scenario.training.clipping.bitNoiseStddev }
      : {}),
  });
  const aggregation = settings.defence.aggregation;
  const clipping = scenario.training.clipping;
  let clipState =
    clipping.kind === 'adaptive' ? initialAdaptiveClip(scenario.training.clipNorm, clipping) : undefined;
  const rounds: RoundResult[] = [];
  let epsilon: number | null = null;
  let previousDelta: Float32Array | undefined;

  for (let round = 1; round <= scenario.rounds; round++) {
    const smallest =
      aggregation.mode === 'secure+robust' ? aggregation.bucketSize! : scenario.clientsPerRound;
    if (privacy.enabled && smallest >= 3) {
      const instance = deriveParameters({
        clients: smallest,
        dropoutRate: scenario.secureAggregation.expectedDropout,
        corruptFraction: scenario.secureAggregation.corruptFraction,
      });
      if (privacy.refuseRound(round, instance, weights.length) !== undefined) break;
    }
    const selected = shuffle(
      sites.map((_, i) => i),
      taggedRandom(seed, `r${round}/select`),
    )
      .slice(0, scenario.clientsPerRound)
      .sort((a, b) => a - b);
    const fate = taggedRandom(seed, `r${round}/fate`);
    const dropped: string[] = [];
    const updates: SiteUpdate[] = [];
    const pending: { index: number; delta: Float32Array; examples: number; dropAt?: DropPoint }[] = [];
    for (const index of selected) {
      if (uniformDraw(fate) < scenario.stragglers) {
        dropped.push(sites[index]!.name);
        continue;
      }
      let dropAt: DropPoint | undefined;
      for (const [key, point] of PHASES) {
        if (uniformDraw(fate) < scenario.dropout[key]) {
          dropAt = point;
          break;
        }
      }
      if (dropAt !== undefined) dropped.push(sites[index]!.name);
      const data = trainingData[index]!;
      const local = trainDense(
        arch,
        weights,
        data,
        scenario.training,
        taggedBytes(seed, `r${round}/train/${index}`),
      );
      const delta = new Float32Array(weights.length);
      for (let i = 0; i < delta.length; i++) delta[i] = local[i]! - weights[i]!;
      pending.push({ index, delta, examples: data.rows, ...(dropAt === undefined ? {} : { dropAt }) });
    }
    const honest = pending.filter((p) => !poisoned.has(p.index)).map((p) => p.delta);
    const attackers = pending.filter((p) => poisoned.has(p.index)).length;
    for (const p of pending) {
      let delta = p.delta;
      if (attack?.kind === 'update' && poisoned.has(p.index)) {
        delta = attack.craft({
          own: p.delta,
          honest: attack.omniscient ? honest : [],
          attackers,
          clients: pending.length,
          random: taggedRandom(seed, `r${round}/attack/${p.index}`),
        });
      }
      updates.push({
        id: p.index + 1,
        delta,
        examples: p.examples,
        ...(p.dropAt === undefined ? {} : { dropAt: p.dropAt }),
      });
    }

    const clipNorm = Math.min(
      clipState?.clipBound ?? scenario.training.clipNorm,
      scenario.secureAggregation.clipRange,
    );
    const aggregated = aggregateInProcess(
      {
        clipNorm,
        clipIndicator: clipState !== undefined && aggregation.mode !== 'robust',
        scenario,
        aggregation,
        privacy,
        identities,
        random: taggedRandom(seed, `r${round}/aggregate`),
        bucketSeed: bucketSeed(taggedRandom(seed, `r${round}/buckets`)),
        ...(previousDelta === undefined ? {} : { centre: previousDelta }),
      },
      updates,
    );
    let rejected: string[] = [];
    if (aggregated !== undefined) {
      const spent = privacy.record(aggregated.released);
      if (clipState !== undefined)
        clipState = updateClipBound(
          clipState,
          aggregated.clipBits.fitted,
          aggregated.clipBits.clients,
          taggedRandom(seed, `r${round}/clip`),
        );
      if (spent !== undefined) epsilon = spent.cumulativeEpsilon;
      weights = optimizer.step(weights, aggregated.meanDelta);
      previousDelta = aggregated.meanDelta;
      rejected = rejectedSites(
        aggregated.suspicion,
        sites.map((s) => s.name),
      );
    }
    rounds.push(
      roundResultOf(evaluateModel(arch, weights, consortium, trigger), {
        round,
        epsilon,
        rejected,
        clip_bound: clipNorm,
        dropped,
        completed: aggregated !== undefined,
      }),
    );
    settings.onRound?.(round);
  }
  const final = evaluateModel(arch, weights, consortium, trigger);
  return {
    defence: settings.defence.name,
    attack: settings.attack.name,
    rounds,
    final: finalResultOf(final),
  };
}

/** The attack of a run, who carries it out, what each site trains on, and the backdoor trigger if any. */
export interface Poisoning {
  readonly attack: Attack | undefined;
  readonly poisoned: ReadonlySet<number>;
  readonly trainingData: readonly TabularSplit[];
  readonly trigger: BackdoorTrigger | undefined;
}

/** Shared by both transports, so in process and over gRPC the same sites attack with the same data. */
export function preparePoisoning(
  scenario: Scenario,
  sites: Consortium['sites'],
  settings: RunSettings,
): Poisoning {
  const { seed } = settings;
  const attack =
    settings.attack.name === 'none'
      ? undefined
      : createAttack(settings.attack.name as AttackName, settings.attack.options as never);
  const poisoned = new Set(
    poisonedSites(
      scenario,
      sites.map((s) => s.name),
      seed,
      settings.attack.name,
    ),
  );
  const trainingData = sites.map((site, i) =>
    poisonedTrainingData(attack, poisoned.has(i), site.train, taggedRandom(seed, `poison/${i}`)),
  );
  return { attack, poisoned, trainingData, trigger: triggerOf(attack, settings.attack.options) };
}

function poisonedTrainingData(
  attack: Attack | undefined,
  poisoned: boolean,
  train: TabularSplit,
  random: RandomSource,
): TabularSplit {
  if (attack === undefined || !poisoned) return train;
  if (attack.kind === 'data') return attack.poison(train, random);
  return attack.trainingData?.poison(train, random) ?? train;
}

/** The backdoor's trigger when the attack plants one (backdoor, model replacement). */
function triggerOf(
  attack: Attack | undefined,
  options: Readonly<Record<string, unknown>>,
): BackdoorTrigger | undefined {
  if (attack === undefined) return undefined;
  const plantsTrigger =
    attack.kind === 'data' ? attack.name === 'backdoor' : attack.trainingData?.name === 'backdoor';
  if (!plantsTrigger) return undefined;
  return options as unknown as BackdoorTrigger;
}
