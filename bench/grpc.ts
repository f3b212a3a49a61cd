/**
 * One secure-aggregation round over loopback gRPC — the real coordinator service here, every member
 * in one child process (bench/grpc-members), each with its own channel — and the same round in
 * process, as one JSON line.
 *   npm run bench:grpc -- --clients 50 --dim 1000000 [--dropout 0.1] [--chunk-words 65536] [--threads 2]
 * Target: grpc_round_ms <= 2 x inprocess_round_ms. `ingest_mb_s` is the masked-input bytes the
 * coordinator took in, over the gRPC round's wall time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import {
  addInto,
  cryptoReady,
  DEFAULT_MASK_PRG,
  roundParameters,
  runLocalRound,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
  type ClientId,
  type SigningKeyPair,
} from '../aggregation/index.js';
import { widenReceiveWindow } from '../coordinator/grpc/flow-control.js';
import { CoordinatorService, type RoundPlan } from '../coordinator/grpc/service.js';
import { ensureMallocTuning } from '../coordinator/malloc-tuning.js';
import { Membership } from '../coordinator/membership.js';
import { ParallelMaskRemover } from '../coordinator/parallel-unmask.js';
import { loadCohortProto } from '../proto/load.js';
import { argNumber } from './args.js';
import { benchInput } from './grpc-input.js';
import { benchManifest } from './grpc-manifest.js';

await ensureMallocTuning();
await cryptoReady();
const clients = argNumber('--clients', 50);
const dimension = argNumber('--dim', 1_000_000);
const dropout = argNumber('--dropout', 0.1);
const chunkWords = argNumber('--chunk-words', 2 ** 16);
// k and t as every member derives them from the manifest's threat model, or members refuse the round.
const parameters = roundParameters(
  { federationSize: clients, corruptFraction: 0, dropoutRate: dropout },
  clients,
);
/** The plan the members check against the manifest (they train nothing here: the input is synthetic). */
const plan: RoundPlan = {
  modelSha256: new Uint8Array(32),
  modelSpecJson: JSON.stringify({ kind: 'logistic-regression', inputs: dimension - 1 }),
  training: {
    epochs: 1,
    steps: 0,
    batch_size: 1,
    learning_rate: 0.1,
    clip_norm: 1,
    example_cap: 1,
    report_clip_indicator: false,
  },
};
const ids: ClientId[] = Array.from({ length: clients }, (_, i) => i + 1);
const identities = new Map<ClientId, SigningKeyPair>(
  ids.map((id) => [id, signingKeyPairFromSeed(seedFromNumber(id))]),
);
const roundId = seedFromNumber(4242);

const input = (id: ClientId): Uint32Array => benchInput(id, dimension);

const remover = await ParallelMaskRemover.start(argNumber('--threads', 2));
const manifest = benchManifest('bench', clients, dropout, plan.modelSpecJson);
const membership = new Membership(
  'bench',
  ids.map((id) => ({ index: id, name: `m${id}`, identityKey: identities.get(id)!.publicKey })),
  manifest,
);
const service = new CoordinatorService(membership);
const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 2 ** 20 });
server.addService(loadCohortProto().Coordinator.service, service.handlers);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
    e ? reject(e) : resolve(p),
  ),
);
const windowWidened = widenReceiveWindow(server);
const members = spawn(
  process.execPath,
  [
    fileURLToPath(new URL('./grpc-members.js', import.meta.url)),
    '--address',
    `127.0.0.1:${port}`,
    '--clients',
    String(clients),
    '--dim',
    String(dimension),
    '--manifest-sha256',
    Buffer.from(manifest.sha256).toString('hex'),
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
await new Promise<void>((resolve, reject) => {
  members.stdout.on('data', (text: Buffer) => {
    if (text.toString().includes('ready')) resolve();
  });
  members.on('exit', (code) => reject(new Error(`members exited with ${code}`)));
});
if (service.connected.length !== clients)
  throw new Error(`${service.connected.length} of ${clients} members connected`);

const t0 = performance.now();
const session = service.startSecureRound(
  1,
  {
    roundId,
    parameters,
    dimension,
    participants: ids,
    identityKeyOf: (id) => identities.get(id)?.publicKey,
    prg: DEFAULT_MASK_PRG,
    deadlines: {
      advertiseKeys: 60_000,
      graphNonce: 60_000,
      shareKeys: 60_000,
      shareCheck: 60_000,
      maskedInput: 120_000,
      consistencyCheck: 60_000,
      unmasking: 60_000,
    },
    remover: remover.remove,
  },
  { clipRange: 1, levels: 65_537, maxChunkWords: chunkWords },
  plan,
);
const viaGrpc = await session.result;
const grpcRoundMs = performance.now() - t0;
const expected = new Uint32Array(dimension);
for (const id of viaGrpc.survivors) addInto(expected, input(id), 0);
const correct = expected.every((w, i) => w === viaGrpc.sum[i]);
members.stdin.end();
server.forceShutdown();

const t1 = performance.now();
const local = runLocalRound({
  sessionId: roundId,
  parameters,
  dimension,
  clients: ids,
  identities,
  input,
  random: seededRandom(seedFromNumber(77)),
  prg: DEFAULT_MASK_PRG,
  chunkWords,
  remover: remover.remove,
});
const inprocessRoundMs = performance.now() - t1;
await remover.close();

console.log(
  JSON.stringify({
    clients,
    dim: dimension,
    k: parameters.degree,
    t: parameters.threshold,
    grpc_round_ms: Math.round(grpcRoundMs),
    inprocess_round_ms: Math.round(inprocessRoundMs),
    ratio: +(grpcRoundMs / inprocessRoundMs).toFixed(2),
    receive_window_widened: windowWidened,
    ingest_mb_s: Math.round((viaGrpc.survivors.length * dimension * 4) / 2 ** 20 / (grpcRoundMs / 1000)),
    correct: correct && local.result !== undefined && local.result.sum.every((w, i) => w === viaGrpc.sum[i]),
  }),
);
