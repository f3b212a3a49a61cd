import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { cryptoReady } from '../aggregation/crypto/sodium.js';
import { loadTensorFlow } from '../client-sdk/training/index.js';
import { loadCohortProto } from '../proto/load.js';
import {
  decodePublicKey,
  loadFederationConfig,
  loadServedManifest,
  splitListen,
} from '../coordinator/config/index.js';
import { modelSpecJson } from '../proto/model-spec.js';
import { Federation } from '../coordinator/federation.js';
import { createJsonLog } from '../coordinator/logging.js';
import { formatRoundProgress } from '../coordinator/progress.js';
import { widenReceiveWindow } from '../coordinator/grpc/flow-control.js';
import { HealthService } from '../coordinator/grpc/health.js';
import { CoordinatorService } from '../coordinator/grpc/service.js';
import { Membership } from '../coordinator/membership.js';
import { ParallelMaskRemover } from '../coordinator/parallel-unmask.js';
import { CheckpointStore } from '../coordinator/store/index.js';
import { loadFederationModel } from './federation-model.js';

export interface CoordinatorIo {
  /** Where the JSON log goes when the federation file names no logging.file. */
  readonly stdout: (line: string) => void;
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
  const { log, close: closeLog } = createJsonLog(
    {
      level: config.logging.level,
      file: config.logging.file === undefined ? undefined : resolve(base, config.logging.file),
    },
    io.stdout,
  );
  const { tf, backend } = await loadTensorFlow({
    log: (line) => log({ event: 'tensorflow', detail: line }),
  });
  const model = await loadFederationModel(config.model, configPath, tf);
  // Before listening: a coordinator whose manifest does not describe its file must not serve anyone.
  const manifest = await loadServedManifest(config, configPath, modelSpecJson(model.spec));
  if (manifest.insecure)
    log({
      event: 'insecure-no-manifest',
      level: 'warn',
      manifestSha256: Buffer.from(manifest.sha256).toString('hex'),
      message:
        'insecureNoManifest: serving a manifest signed with a throwaway key; members can only pin its sha256. Development only.',
    });
  const membership = new Membership(
    config.name,
    config.members.map((m, i) => ({
      index: i + 1,
      name: m.name,
      identityKey: decodePublicKey(m.publicKey)!,
    })),
    manifest,
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
  log({
    event: 'listening',
    address: `${host}:${bound}`,
    tls: config.tls !== undefined,
    members: config.members.length,
    manifestSha256: Buffer.from(manifest.sha256).toString('hex'),
  });
  io.progress(`cohort coordinator: ${config.name} listening on ${host}:${bound}, ${config.rounds} rounds`);

  const store = await CheckpointStore.open(resolve(base, config.dataDir));
  const remover = await ParallelMaskRemover.start();
  const federation = new Federation({
    config,
    membership,
    service,
    store,
    spec: model.spec,
    initialWeights: model.initialWeights,
    log: (event) => {
      // Federation.run logs federation-finished (roundsAggregated, roundsConfigured); add the backend.
      log(event['event'] === 'federation-finished' ? { ...event, backend } : event);
      const line = formatRoundProgress(event, config.rounds);
      if (line !== undefined) io.progress(line);
    },
    remover: remover.remove,
    memberWaitMs: config.deadlines.training,
  });
  try {
    const result = await federation.run();
    const early = result.budgetStop === undefined ? '' : ' (the privacy budget stopped training)';
    io.progress(
      `federation finished: ${result.roundsAggregated} of ${result.roundsConfigured} rounds aggregated${early}, model ${result.modelSha256.slice(0, 16)}…`,
    );
    // Members fetch the final model after federation_finished; give them a moment before closing.
    await new Promise((r) => setTimeout(r, 2_000));
  } finally {
    health.set('NOT_SERVING');
    await remover.close();
    server.forceShutdown();
    await closeLog();
  }
}
