import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
  type SigningKeyPair,
} from '../../../aggregation/index.js';
import { CohortClient } from '../../../client-sdk/cohort-client.js';
import type { LocalTrainer } from '../../../client-sdk/trainer.js';
import { parseFederationConfig } from '../../../coordinator/config/index.js';
import { Federation } from '../../../coordinator/federation.js';
import { CoordinatorService } from '../../../coordinator/grpc/service.js';
import type { ManifestPin } from '../../../proto/federation-manifest.js';
import { membersYaml, signedFederationOf } from '../signed-federation.js';
import { CheckpointStore, type CheckpointManifest } from '../../../coordinator/store/index.js';
import { serveOnLoopback } from '../loopback-coordinator.js';

/** Test code not a test file: a coordinator and members over real gRPC, members training with a hook. */

export const DIMENSION = 6;

/** A member whose "training" adds a fixed update to the global model, so the expected aggregate is exact arithmetic. */
export function fixedUpdate(update: readonly number[], examples = 10): LocalTrainer {
  return {
    train: (global) =>
      Promise.resolve({
        weights: global.map((w, i) => w + update[i]!),
        numExamples: examples,
      }),
  };
}

export interface FederationRun {
  readonly initial: Float32Array;
  readonly final: Float32Array;
  readonly events: Record<string, unknown>[];
  readonly manifests: CheckpointManifest[];
  readonly service: CoordinatorService;
  readonly port: number;
  readonly identities: SigningKeyPair[];
}

/**
 * Runs a federation described by `yaml` (everything but `name`, `model` and `members`) with one member
 * per trainer, and returns what the coordinator did. `during` runs once the server listens, for tests
 * that act as an extra, hostile member.
 */
export async function federate(
  yaml: string,
  /** null: a member the test drives itself (no SDK client runs for it). */
  trainers: readonly (LocalTrainer | null)[],
  during?: (run: {
    port: number;
    service: CoordinatorService;
    identities: SigningKeyPair[];
    trust: ManifestPin;
  }) => Promise<void>,
  /** Sees every coordinator event as it is logged, with a way to kill a member's client on the spot. */
  onLog?: (event: Record<string, unknown>, kill: (member: number) => void) => void,
): Promise<FederationRun> {
  const identities = trainers.map((_, i) => signingKeyPairFromSeed(seedFromNumber(700 + i)));
  const members = membersYaml(identities);
  const config = parseFederationConfig(
    `name: modes\nmodel: { kind: logistic-regression, inputs: ${DIMENSION - 1} }\n${yaml}\nmembers:\n${members}\n`,
  );
  const spec = { kind: 'logistic-regression', inputs: DIMENSION - 1 } as const;
  const { membership, trust } = signedFederationOf(config, spec);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-modes-'));
  // Members' round ids and accountants, apart from the checkpoint store.
  const memberState = await mkdtemp(join(tmpdir(), 'cohort-modes-members-'));
  const clients = await Promise.all(
    identities.flatMap((id, i) =>
      trainers[i] === null
        ? []
        : [
            CohortClient.connect(`127.0.0.1:${port}`, id, {
              trust,
              stateDir: join(memberState, `member-${i + 1}`),
              random: seededRandom(seedFromNumber(800 + i)),
            }),
          ],
    ),
  );
  const runs = clients.map((client) => client.run(trainers[client.memberIndex - 1]!));
  // Observed from the start: a stopped member's run rejects at once, while the federation still runs.
  const settled = Promise.allSettled(runs);
  const initial = new Float32Array(DIMENSION).fill(0.5);
  const stopped = new Set<number>();
  const events: Record<string, unknown>[] = [];
  const store = await CheckpointStore.open(dir);
  try {
    const federation = new Federation({
      config,
      membership,
      service,
      store,
      spec,
      initialWeights: () => Promise.resolve(initial.slice()),
      log: (e) => {
        events.push(e);
        onLog?.(e, (member) => {
          stopped.add(member);
          clients.find((c) => c.memberIndex === member)?.stop();
        });
      },
      random: seededRandom(seedFromNumber(900)),
    });
    const [result] = await Promise.all([federation.run(), during?.({ port, service, identities, trust })]);
    // A member a test stopped rejects; the others must finish with the federation.
    const outcomes = await settled;
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected' && !stopped.has(clients[i]!.memberIndex)) throw o.reason;
    });
    return {
      initial,
      final: result.weights,
      events,
      manifests: await store.list(),
      service,
      port,
      identities,
    };
  } finally {
    for (const c of clients) c.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
    await rm(memberState, { recursive: true, force: true });
  }
}
