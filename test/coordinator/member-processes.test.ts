import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import {
  aes256CtrPrg,
  addInto,
  cryptoReady,
  seedFromNumber,
  signingKeyPairFromSeed,
  type ServerPhase,
} from '../../aggregation/index.js';
import { benchInput } from '../../bench/grpc-input.js';
import { CoordinatorService, type RoundPlan } from '../../coordinator/grpc/service.js';
import { serve, testManifest } from './signed-federation.js';
import { serveOnLoopback, testRoundPlan } from './loopback-coordinator.js';

/**
 * Members as separate operating-system processes, one killed (SIGKILL) as each protocol phase begins:
 * the round still completes and the coordinator learns exactly the sum of the members whose masked
 * input arrived. Each member holds pushed events 150 ms, so a kill lands inside the phase it targets.
 */
await cryptoReady();
const MEMBERS = 14;
/** Members 1..KILLED each run in their own process (one is killed per phase); the rest share one. */
const KILLED = 6;
const DIMENSION = 2_000;
const HOST = fileURLToPath(new URL('../../bench/grpc-members.js', import.meta.url));
const KILL_AT: [ServerPhase, number][] = [
  ['advertise-keys', 1],
  ['graph-nonce', 6],
  ['share-keys', 2],
  ['masked-input', 3],
  ['consistency-check', 4],
  ['unmasking', 5],
];

let server: grpc.Server;
let service: CoordinatorService;
let members: ChildProcess[] = [];
/** The model the round's plan names; members refuse a spec whose hash the manifest does not pin. */
const MODEL_SPEC_JSON = `{"kind":"logistic-regression","inputs":${DIMENSION - 1}}`;
const PLAN: RoundPlan = testRoundPlan(MODEL_SPEC_JSON);
// The member host's identities (signingKeyPairFromSeed(seedFromNumber(id))); it pins the manifest's hash.
const base = testManifest(
  'kill-test',
  Array.from({ length: MEMBERS }, (_, i) => signingKeyPairFromSeed(seedFromNumber(i + 1))),
);
// The complete graph with t = 7, pinned explicitly: members check the coordinator's k and t against it.
const { membership } = serve({
  ...base,
  threatModel: { ...base.threatModel, degree: MEMBERS - 1, threshold: 7 },
  modelSpecSha256: createHash('sha256').update(MODEL_SPEC_JSON, 'utf8').digest('hex'),
});

before(async () => {
  service = new CoordinatorService(membership);
  const loopback = await serveOnLoopback(service);
  server = loopback.server;
  const port = loopback.port;
  const hosts = [
    ...Array.from({ length: KILLED }, (_, i) => ({ first: i + 1, clients: 1 })),
    { first: KILLED + 1, clients: MEMBERS - KILLED },
  ];
  members = hosts.map(({ first, clients }) =>
    spawn(
      process.execPath,
      [
        HOST,
        '--address',
        `127.0.0.1:${port}`,
        '--clients',
        String(clients),
        '--first',
        String(first),
        '--dim',
        String(DIMENSION),
        '--delay-ms',
        '150',
        '--manifest-sha256',
        Buffer.from(membership.manifestSha256).toString('hex'),
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    ),
  );
  await Promise.all(
    members.map(
      (m) =>
        new Promise<void>((ok) =>
          m.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && ok()),
        ),
    ),
  );
});

after(() => {
  for (const m of members) if (m.exitCode === null) m.kill('SIGKILL');
  server.forceShutdown();
});

test('a member process killed in each phase: the round completes with the exact sum of the survivors', async () => {
  assert.equal(service.connected.length, MEMBERS);
  const round = service.startSecureRound(
    1,
    {
      roundId: seedFromNumber(11),
      parameters: { clients: MEMBERS, degree: MEMBERS - 1, threshold: 7 },
      dimension: DIMENSION,
      participants: Array.from({ length: MEMBERS }, (_, i) => i + 1),
      identityKeyOf: (id) => membership.member(id)?.identityKey,
      prg: aes256CtrPrg,
      deadlines: {
        advertiseKeys: 10_000,
        graphNonce: 10_000,
        shareKeys: 10_000,
        shareCheck: 10_000,
        maskedInput: 10_000,
        consistencyCheck: 10_000,
        unmasking: 10_000,
      },
    },
    { clipRange: 1, levels: 65_537, maxChunkWords: 500 },
    PLAN,
  );
  const killed = new Set<number>();
  const watcher = setInterval(() => {
    for (const [phase, id] of KILL_AT) {
      if (round.phase === phase && !killed.has(id)) {
        killed.add(id);
        members[id - 1]!.kill('SIGKILL');
      }
    }
  }, 2);
  const result = await round.result.finally(() => clearInterval(watcher));

  assert.deepEqual(
    [...killed].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6],
  );
  // Killed before their masked input: 1, 6, 2, 3. Killed after it (4 in ConsistencyCheck, 5 in
  // Unmasking): still summed. Each of the eight left alive holds shares of the other seven: t.
  assert.deepEqual(result.survivors, [4, 5, 7, 8, 9, 10, 11, 12, 13, 14]);
  const expected = new Uint32Array(DIMENSION);
  for (const id of result.survivors) addInto(expected, benchInput(id, DIMENSION), 0);
  assert.deepEqual(result.sum, expected);
  assert.equal(result.dropped.size, 6);
});
