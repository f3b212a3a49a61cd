import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cryptoReady } from '../../aggregation/index.js';
import { writeIdentityFile } from '../../client-sdk/identity.js';
import { CheckpointStore } from '../../coordinator/store/index.js';
import { signFederation } from '../../cli/federation-manifest.js';

/**
 * The operator's worst ordinary day: the coordinator process is SIGKILLed between rounds. Restarted with
 * the same federation file, it resumes from its newest checkpoint; the member processes, which only lost
 * a connection, rejoin on their own and the federation finishes.
 */
await cryptoReady();
const CLI = fileURLToPath(new URL('../../cli/cohort.js', import.meta.url));
const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const dataDir = process.env['COHORT_DATA_DIR'] ?? resolve(repoRoot, '../shared/datasets');
const SITES = ['cleveland', 'hungarian', 'va'];
const ROUNDS = 4;

let work: string;
const children: ChildProcess[] = [];
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cohort-restart-'));
});
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => ok(port));
    });
  });
}

function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((ok) => child.once('exit', ok));
}

/** Resolves with the stderr line matching `pattern`, collecting every line into `seen`. */
function waitForLine(child: ChildProcess, pattern: RegExp, seen: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      seen.push(line);
      if (pattern.test(line)) ok(line);
    });
    child.once('exit', (code) =>
      fail(new Error(`exited with ${code} before ${pattern}: ${seen.slice(-3).join(' | ')}`)),
    );
  });
}

test('a coordinator killed between rounds resumes from its checkpoint and the federation finishes', async () => {
  const keys = await Promise.all(SITES.map((site) => writeIdentityFile(join(work, `${site}.key`))));
  const port = await freePort();
  const config = join(work, 'federation.yaml');
  await writeFile(
    config,
    [
      'name: restart-test',
      'model: { kind: logistic-regression, inputs: 13 }',
      `rounds: ${ROUNDS}`,
      `clientsPerRound: ${SITES.length}`,
      `minimumClients: ${SITES.length}`,
      `listen: 127.0.0.1:${port}`,
      'dataDir: ./state',
      'manifest: ./federation.manifest.json',
      'logging: { level: info, file: ./logs/coordinator.log }',
      'secureAggregation: { expectedDropout: 0, quantization: { clipRange: 1, levels: 1048577 } }',
      'serverOptimizer: { kind: fedavg }',
      'training: { epochs: 1, batchSize: 16, learningRate: 0.1, clipNorm: 1, exampleCap: 256 }',
      'members:',
      ...SITES.map(
        (site, i) => `  - { name: ${site}, publicKey: ${Buffer.from(keys[i]!.publicKey).toString('hex')} }`,
      ),
      '',
    ].join('\n'),
  );

  const operator = await writeIdentityFile(join(work, 'operator.key'));
  await signFederation({ config, key: join(work, 'operator.key') });

  const firstLines: string[] = [];
  const first = start(['coordinator', '--config', config]);
  const killPoint = waitForLine(first, /^round 2\/4: done/, firstLines);
  const members = SITES.map((site) =>
    start([
      'client',
      '--coordinator',
      `127.0.0.1:${port}`,
      '--key',
      join(work, `${site}.key`),
      '--operator-key',
      Buffer.from(operator.publicKey).toString('hex'),
      '--dataset',
      'heart-disease',
      '--site',
      site,
      '--data-dir',
      dataDir,
    ]),
  );
  const memberOutput = members.map((m) => {
    let out = '';
    m.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    return () => out;
  });
  const memberErrors = members.map((m) => {
    let err = '';
    m.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return () => err;
  });
  await killPoint;
  first.kill('SIGKILL');
  await exited(first);
  assert.ok(
    firstLines.some((l) => /^round 1\/4: masked-input, 3\/3 members responding/.test(l)),
    `a progress line names the phase and the members responding:\n${firstLines.join('\n')}`,
  );

  const secondLines: string[] = [];
  const second = start(['coordinator', '--config', config]);
  const finished = waitForLine(second, /^federation finished/, secondLines);
  await finished;
  assert.equal(await exited(second), 0, secondLines.join('\n'));
  for (const [i, member] of members.entries()) {
    assert.equal(await exited(member), 0, memberErrors[i]!());
    const result = JSON.parse(memberOutput[i]!().trim().split('\n').pop()!) as {
      site: string;
      accuracy: number;
    };
    assert.equal(result.site, SITES[i]);
    assert.ok(result.accuracy > 0.5, `${result.site}: ${result.accuracy}`);
    assert.match(memberErrors[i]!(), /lost the coordinator/);
  }

  const events = (await readFile(join(work, 'logs', 'coordinator.log'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const e of events) {
    assert.equal(typeof e['time'], 'string');
    assert.equal(e['level'], 'info');
  }
  const resumed = events.find((e) => e['event'] === 'resumed');
  assert.ok(
    resumed !== undefined && Number(resumed['round']) >= 2,
    'the restart resumed from round 2 or later',
  );
  const finishedRounds = events.filter((e) => e['event'] === 'round-finished').map((e) => Number(e['round']));
  for (let r = 1; r <= ROUNDS; r++) assert.ok(finishedRounds.includes(r), `round ${r} finished`);
  assert.ok(events.some((e) => e['event'] === 'federation-finished'));

  const store = await CheckpointStore.open(join(work, 'state'));
  assert.deepEqual(await store.verifyChain(), { ok: true, rounds: ROUNDS + 1 });
  assert.equal((await store.latest())!.manifest.round, ROUNDS);
});
