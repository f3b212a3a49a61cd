import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The `cohort` command as an operator runs it: a real process, its exit code and output. */
const CLI = fileURLToPath(new URL('../../cli/cohort.js', import.meta.url));
const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const dataDir = process.env['COHORT_DATA_DIR'] ?? resolve(repoRoot, '../shared/datasets');

function cohort(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cohort-cli-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('--help lists every command; a command has its own help; an unknown one is a usage error', () => {
  const help = cohort('--help');
  assert.equal(help.status, 0);
  for (const command of ['coordinator', 'client', 'keygen', 'federation', 'datasets', 'demo'])
    assert.match(help.stdout, new RegExp(command));
  assert.match(cohort('coordinator', '--help').stdout, /--config federation\.yaml/);
  const unknown = cohort('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
});

test('keygen writes a 0600 key file, prints its public key, and never overwrites', async () => {
  const key = join(work, 'member.key');
  const run = cohort('keygen', '--out', key);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout.trim(), /^[0-9a-f]{64}$/);
  assert.equal((await stat(key)).mode & 0o777, 0o600);
  assert.match((await readFile(key, 'utf8')).trim(), /^[0-9a-f]{64}$/);
  assert.notEqual(cohort('keygen', '--out', key).status, 0);
  assert.equal(cohort('keygen').status, 2);
});

test('a broken federation file stops the coordinator with every problem named', async () => {
  const file = join(work, 'bad.yaml');
  await writeFile(file, 'name: x\nrounds: 0\ncolour: blue\n');
  const run = cohort('coordinator', '--config', file);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /rounds/);
  assert.match(run.stderr, /colour: unknown key/);
  assert.match(run.stderr, /members/);
});

test('the demo trains across four hospital processes with secure aggregation', () => {
  const run = cohort('demo', '--rounds', '2', '--json', '--data-dir', dataDir);
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    rounds: number;
    secure_aggregation: boolean;
    mean_test_accuracy: number;
    per_hospital: Record<string, number>;
  };
  assert.equal(result.rounds, 2);
  assert.equal(result.secure_aggregation, true);
  assert.deepEqual(Object.keys(result.per_hospital).sort(), ['cleveland', 'hungarian', 'switzerland', 'va']);
  assert.ok(
    result.mean_test_accuracy > 0.55 && result.mean_test_accuracy <= 1,
    String(result.mean_test_accuracy),
  );
  assert.match(run.stderr, /round 2\/2: done, 4 members aggregated/);
});

test('privacy reproduces the published accountant values; bad flags name themselves', () => {
  const args = [
    'privacy',
    '--sampling-rate',
    String(256 / 60000),
    '--noise-multiplier',
    '1.1',
    '--steps',
    '14063',
    '--delta',
    '1e-5',
  ];
  const tight = cohort(...args);
  assert.equal(tight.status, 0, tight.stderr);
  const report = JSON.parse(tight.stdout) as { epsilon: number; order: number };
  assert.equal(report.epsilon.toFixed(3), '2.597');
  const classic = JSON.parse(cohort(...args, '--conversion', 'classic').stdout) as { epsilon: number };
  assert.equal(classic.epsilon.toFixed(3), '3.009');
  const bad = cohort(
    'privacy',
    '--sampling-rate',
    '2',
    '--noise-multiplier',
    '1',
    '--steps',
    '1',
    '--delta',
    '1e-5',
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--sampling-rate: expected a number in \(0, 1\], got 2/);
});

test('aggregate reads updates on stdin and prints the robust result', () => {
  const input = JSON.stringify({
    updates: [
      [1, 10],
      [2, 20],
      [3, 30],
      [100, -100],
      [4, 40],
    ],
  });
  const run = spawnSync(process.execPath, [CLI, 'aggregate', '--rule', 'median'], {
    input,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { result: number[]; selected: number[] };
  assert.deepEqual(out.result, [3, 20]);
  const krum = spawnSync(process.execPath, [CLI, 'aggregate', '--rule', 'krum', '--byzantine', '2'], {
    input,
    encoding: 'utf8',
  });
  assert.notEqual(krum.status, 0);
  assert.match(krum.stderr, /n >= 2f\+3, got n=5, f=2/);
});

test('simulate writes results.json and a self-contained report, in process and over gRPC', async () => {
  for (const transport of ['in-process', 'grpc']) {
    const out = join(work, `sim-${transport}`);
    const run = cohort(
      'simulate',
      'heart-disease',
      '--defence',
      'median',
      '--attack',
      'sign-flip',
      '--transport',
      transport,
      '--out',
      out,
      '--data-dir',
      dataDir,
    );
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
      transport: string;
      rounds: unknown[];
      final: { accuracy: number };
    };
    assert.equal(results.transport, transport);
    assert.equal(results.rounds.length, 15);
    assert.ok(results.final.accuracy > 0.55, String(results.final.accuracy));
    const html = await readFile(join(out, 'report.html'), 'utf8');
    assert.match(html, /data-chart=/);
    assert.doesNotMatch(html, /https?:\/\//);
  }
  const bad = join(work, 'bad-scenario.yaml');
  await writeFile(
    bad,
    'name: x\ndata: { kind: heart-disease }\nrounds: 0\nclientsPerRound: 4\ncolour: red\n',
  );
  const refused = cohort('simulate', bad, '--data-dir', dataDir);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /rounds: expected an integer >= 1/);
  assert.match(refused.stderr, /unknown key\(s\) colour/);
});
