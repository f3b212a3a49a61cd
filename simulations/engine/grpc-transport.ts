import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { signingKeyPairFromSeed } from '../../aggregation/crypto/signature.js';
import { seededRandom } from '../../aggregation/crypto/random-source.js';
import { scheduleAsWritten } from '../../aggregation/training/schedule.js';
import { CohortClient } from '../../client-sdk/cohort-client.js';
import type { LocalTrainer } from '../../client-sdk/trainer.js';
import { loadCohortProto } from '../../proto/load.js';
import { modelSpecJson, type ModelSpec } from '../../proto/model-spec.js';
import type { BackdoorTrigger } from '../attacks/index.js';
import { taggedBytes, taggedRandom, uniformDraw } from '../data/samplers.js';
import type { Consortium } from './consortium.js';
import { evaluateModel, finalResultOf, rejectedSites, roundResultOf } from './evaluate.js';
import { architectureOf, preparePoisoning, type RunSettings } from './run-scenario.js';
import type { RoundResult, SimulationRun } from '../report/results.js';
import type { Scenario } from '../scenarios/schema.js';
import { initialWeights, trainDense } from '../training/dense-network.js';
import { federationManifestOf, parseFederationConfig } from '../../coordinator/config/index.js';
import { signedManifestFile } from '../../proto/federation-manifest.js';
import { Federation } from '../../coordinator/federation.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { Membership } from '../../coordinator/membership.js';
import { CheckpointStore } from '../../coordinator/store/index.js';

/** Local training must end within these; a straggler takes longer than both together and misses the round. */
const TRAINING_DEADLINE_MS = 2_000;
const ADVERTISE_DEADLINE_MS = 1_000;
/** Omniscient attackers wait this long for the round's honest updates to be posted (all in this process). */
const HONEST_WAIT_MS = 50;

/**
 * `cohort simulate --transport grpc`: the same scenario, but through the real coordinator (Federation,
 * CoordinatorService, checkpoints) and one SDK client per site over loopback gRPC, every site in this
 * process. The coordinator selects members and runs its own deadlines, so a run is not bit-for-bit
 * reproducible the way the in-process engine is; per-phase dropouts are not scripted here (the
 * member-process tests kill real members per phase) — stragglers miss the training deadline instead.
 */
export async function runScenarioOverGrpc(
  scenario: Scenario,
  consortium: Consortium,
  settings: RunSettings,
): Promise<SimulationRun> {
  const { seed } = settings;
  const arch = architectureOf(scenario, consortium.features);
  const sites = consortium.sites;
  const identities = sites.map((_, i) => signingKeyPairFromSeed(taggedBytes(seed, `identity/${i}`)));
  const { attack, poisoned, trainingData: data, trigger } = preparePoisoning(scenario, sites, settings);

  const aggregation = settings.defence.aggregation;
  const spec: ModelSpec =
    scenario.model.kind === 'mlp'
      ? {
          kind: 'mlp',
          inputs: consortium.features,
          hidden: scenario.model.hidden,
          activation: scenario.model.activation,
        }
      : { kind: 'logistic-regression', inputs: consortium.features };
  const config = parseFederationConfig(
    stringify({
      name: `simulation-${scenario.name}`,
      model: spec,
      rounds: scenario.rounds,
      clientsPerRound: scenario.clientsPerRound,
      minimumClients: Math.min(scenario.clientsPerRound, Math.max(3, aggregation.bucketSize ?? 3)),
      deadlines: { training: TRAINING_DEADLINE_MS, advertiseKeys: ADVERTISE_DEADLINE_MS },
      aggregation,
      secureAggregation: {
        expectedDropout: scenario.secureAggregation.expectedDropout,
        corruptFraction: scenario.secureAggregation.corruptFraction,
        quantization: {
          clipRange: scenario.secureAggregation.clipRange,
          levels: scenario.secureAggregation.levels,
        },
      },
      privacy: scenario.privacy,
      serverOptimizer: scenario.serverOptimizer,
      training: scheduleAsWritten(scenario.training),
      listen: '127.0.0.1:0',
      members: sites.map((site, i) => ({
        name: safeName(site.name, i),
        publicKey: Buffer.from(identities[i]!.publicKey).toString('hex'),
      })),
    }),
    'simulation',
  );
  const operator = signingKeyPairFromSeed(taggedBytes(seed, 'operator'));
  const membership = new Membership(
    config.name,
    identities.map((id, i) => ({
      index: i + 1,
      name: safeName(sites[i]!.name, i),
      identityKey: id.publicKey,
    })),
    signedManifestFile(federationManifestOf(config, modelSpecJson(spec)), operator),
  );
  const service = new CoordinatorService(membership);
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 2 ** 20 });
  server.addService(loadCohortProto().Coordinator.service, service.handlers);
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))),
  );
  const dir = await mkdtemp(join(tmpdir(), 'cohort-simulate-'));
  const honestByRound = new Map<number, Float32Array[]>();
  const trainer = (i: number): LocalTrainer => ({
    async train(global, context) {
      const straggles = uniformDraw(taggedRandom(seed, `r${context.round}/fate/${i}`)) < scenario.stragglers;
      if (straggles)
        await new Promise((r) => setTimeout(r, TRAINING_DEADLINE_MS + ADVERTISE_DEADLINE_MS + 500));
      const local = trainDense(
        arch,
        global,
        data[i]!,
        scenario.training,
        taggedBytes(seed, `r${context.round}/train/${i}`),
      );
      const delta = local.map((w, k) => w - global[k]!);
      if (attack?.kind !== 'update' || !poisoned.has(i)) {
        const posted = honestByRound.get(context.round) ?? [];
        posted.push(delta);
        honestByRound.set(context.round, posted);
        return { weights: local, numExamples: data[i]!.rows };
      }
      if (attack.omniscient) await new Promise((r) => setTimeout(r, HONEST_WAIT_MS));
      const honest = honestByRound.get(context.round) ?? [];
      const crafted = attack.craft({
        own: delta,
        honest: attack.omniscient ? honest : [],
        attackers: Math.max(1, Math.round(poisoned.size * (scenario.clientsPerRound / sites.length))),
        clients: scenario.clientsPerRound,
        random: taggedRandom(seed, `r${context.round}/attack/${i}`),
      });
      return { weights: crafted.map((d, k) => global[k]! + d), numExamples: data[i]!.rows };
    },
  });
  const clients = await Promise.all(
    identities.map((id, i) =>
      CohortClient.connect(`127.0.0.1:${port}`, id, {
        trust: { operatorKey: operator.publicKey },
        stateDir: join(dir, `member-${i}.state`),
        random: seededRandom(taggedBytes(seed, `client/${i}`)),
      }),
    ),
  );
  const store = await CheckpointStore.open(dir);
  try {
    const events: Record<string, unknown>[] = [];
    const runs = clients.map((client, i) => client.run(trainer(i)));
    // If the federation fails, closing the clients below rejects their runs: that is not a second error.
    for (const run of runs) run.catch(() => undefined);
    const federation = new Federation({
      config,
      membership,
      service,
      store,
      spec,
      initialWeights: () => Promise.resolve(initialWeights(arch, taggedRandom(seed, 'init'))),
      log: (event) => {
        events.push(event);
        if (event['event'] === 'round-finished' || event['event'] === 'round-aborted')
          settings.onRound?.(Number(event['round']));
      },
      random: seededRandom(taggedBytes(seed, 'coordinator')),
      memberWaitMs: 30_000,
    });
    await federation.run();
    await Promise.all(runs);
    return await readRun(scenario, consortium, settings, store, events, arch, trigger);
  } finally {
    for (const client of clients) client.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  }
}

async function readRun(
  scenario: Scenario,
  consortium: Consortium,
  settings: RunSettings,
  store: CheckpointStore,
  events: readonly Record<string, unknown>[],
  arch: ReturnType<typeof architectureOf>,
  trigger: BackdoorTrigger | undefined,
): Promise<SimulationRun> {
  const names = consortium.sites.map((s) => s.name);
  const rounds: RoundResult[] = [];
  let weights = new Float32Array((await store.load(0))!.model.slice().buffer);
  let epsilon: number | null = null;
  for (let round = 1; round <= scenario.rounds; round++) {
    const started = events.find((e) => e['event'] === 'round-started' && e['round'] === round);
    if (started === undefined) break; // the privacy budget stopped training
    const checkpoint = await store.load(round);
    const selected = (started['participants'] as number[]) ?? [];
    let survivors: number[] = [];
    let rejected: string[] = [];
    let clipBound = scenario.training.clipNorm;
    if (checkpoint !== undefined) {
      weights = new Float32Array(checkpoint.model.slice().buffer);
      const metrics = checkpoint.manifest.metrics;
      survivors = (metrics['survivors'] as number[]) ?? [];
      if (typeof metrics['clipNorm'] === 'number') clipBound = metrics['clipNorm'];
      const privacy = metrics['privacy'] as { cumulativeEpsilon?: number } | undefined;
      if (privacy?.cumulativeEpsilon !== undefined) epsilon = privacy.cumulativeEpsilon;
      const suspicion = (metrics['suspicion'] as Record<string, number> | undefined) ?? {};
      rejected = rejectedSites(
        Object.entries(suspicion).map(([member, score]) => [Number(member), score] as const),
        names,
      );
    }
    rounds.push(
      roundResultOf(evaluateModel(arch, weights, consortium, trigger), {
        round,
        epsilon,
        rejected,
        clip_bound: clipBound,
        dropped: selected.filter((m) => !survivors.includes(m)).map((m) => names[m - 1]!),
        completed: checkpoint !== undefined,
      }),
    );
  }
  const final = evaluateModel(arch, weights, consortium, trigger);
  return {
    defence: settings.defence.name,
    attack: settings.attack.name,
    rounds,
    final: finalResultOf(final),
  };
}

/** Federation member names allow letters, digits, '.', '_' and '-'. */
function safeName(name: string, index: number): string {
  const cleaned = name.replace(/[^a-z0-9._-]/gi, '-');
  return /^[a-z0-9]/i.test(cleaned) ? cleaned : `site-${index + 1}`;
}
