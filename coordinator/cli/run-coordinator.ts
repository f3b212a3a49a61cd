import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { cryptoReady } from '../../aggregation/crypto/sodium.js';
import { buildModel, flattenWeights, loadTensorFlow } from '../../client-sdk/training/index.js';
import { loadCohortProto } from '../../proto/load.js';
import { decodePublicKey, loadFederationConfig, splitListen } from '../config/index.js';
import { Federation } from '../federation.js';
import { widenReceiveWindow } from '../grpc/flow-control.js';
import { HealthService } from '../grpc/health.js';
import { CoordinatorService } from '../grpc/service.js';
import { Membership } from '../membership.js';
import { ParallelMaskRemover } from '../parallel-unmask.js';
import { CheckpointStore } from '../store/index.js';

export interface CoordinatorIo {
  /** One JSON object per line: the structured log. */
  readonly log: (event: Record<string, unknown>) => void;
  /** A human progress line (stderr). */
  readonly progress: (line: string) => void;
}

/**
 * `cohort coordinator --config federation.yaml`: serve the federation until its last round, resuming
 * from the newest checkpoint under the data directory (relative paths are relative to the file).
 */
export async function runCoordinator(configPath: string, io: CoordinatorIo): Promise<void> {
  await cryptoReady();
  const config = await loadFederationConfig(configPath);
  const base = dirname(resolve(configPath));
  const membership = new Membership(
    config.name,
    config.members.map((m, i) => ({
      index: i + 1,
      name: m.name,
      identityKey: decodePublicKey(m.publicKey)!,
    })),
  );
  const service = new CoordinatorService(membership);
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 2 ** 20 });
  server.addService(loadCohortProto().Coordinator.service, service.handlers);
  const health = new HealthService();
  server.addService(HealthService.definition(), health.handlers);
  const { host, port } = splitListen(config.listen)!;
  const credentials = config.tls
    ? grpc.ServerCredentials.createSsl(
        config.tls.clientCa ? await readFile(resolve(base, config.tls.clientCa)) : null,
        [
          {
            cert_chain: await readFile(resolve(base, config.tls.cert)),
            private_key: await readFile(resolve(base, config.tls.key)),
          },
        ],
        config.tls.clientCa !== undefined,
      )
    : grpc.ServerCredentials.createInsecure();
  const bound = await new Promise<number>((ok, fail) =>
    server.bindAsync(`${host}:${port}`, credentials, (e, p) => (e ? fail(e) : ok(p))),
  );
  widenReceiveWindow(server);
  io.log({
    event: 'listening',
    address: `${host}:${bound}`,
    tls: config.tls !== undefined,
    members: config.members.length,
  });
  io.progress(`cohort coordinator: ${config.name} listening on ${host}:${bound}, ${config.rounds} rounds`);

  const { tf, backend } = await loadTensorFlow({
    log: (line) => io.log({ event: 'tensorflow', detail: line }),
  });
  const store = await CheckpointStore.open(resolve(base, config.dataDir));
  const remover = await ParallelMaskRemover.start();
  const federation = new Federation({
    config,
    membership,
    service,
    store,
    initialWeights: (spec) => Promise.resolve(flattenWeights(buildModel(tf, spec, 0))),
    log: (event) => {
      io.log(event);
      if (event['event'] === 'round-started') {
        io.progress(
          `round ${String(event['round'])}/${config.rounds}: training and secure aggregation with ${(event['participants'] as number[]).length} members`,
        );
      } else if (event['event'] === 'round-finished' || event['event'] === 'round-aborted') {
        io.progress(
          `round ${String(event['round'])}/${config.rounds}: ${event['event'] === 'round-finished' ? `done, ${String(event['survivors'])} survivors` : `aborted (${String(event['reason'])})`}`,
        );
      }
    },
    remover: remover.remove,
    memberWaitMs: config.deadlines.training,
  });
  try {
    const result = await federation.run();
    io.log({ event: 'federation-finished', rounds: result.round, model: result.modelSha256, backend });
    io.progress(`federation finished: model ${result.modelSha256.slice(0, 16)}…`);
    // Members fetch the final model after federation_finished; give them a moment before closing.
    await new Promise((r) => setTimeout(r, 2_000));
  } finally {
    health.set('NOT_SERVING');
    await remover.close();
    server.forceShutdown();
  }
}
