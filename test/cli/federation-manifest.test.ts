import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** `cohort federation sign|verify` and the coordinator's manifest check, as an operator runs them. */
const CLI = fileURLToPath(new URL('../../cli/cohort.js', import.meta.url));

function cohort(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}

let work: string;
let operatorKey: string;
const federation = (rounds: number, manifest = './federation.manifest.json') =>
  [
    'name: cli-manifest',
    'model: { kind: logistic-regression, inputs: 3 }',
    `rounds: ${rounds}`,
    'clientsPerRound: 3',
    'minimumClients: 3',
    'listen: 127.0.0.1:0',
    'secureAggregation: { expectedDropout: 0 }',
    ...(manifest === '' ? [] : [`manifest: ${manifest}`]),
    'members:',
    ...['01', '02', '03'].map((b, i) => `  - { name: m${i + 1}, publicKey: '${b.repeat(32)}' }`),
    '',
  ].join('\n');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cohort-cli-manifest-'));
  const keygen = cohort('keygen', '--out', join(work, 'operator.key'));
  assert.equal(keygen.status, 0, keygen.stderr);
  operatorKey = keygen.stdout.trim();
  await writeFile(join(work, 'federation.yaml'), federation(3));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('sign writes the manifest named in the file, prints its sha256, and never overwrites', async () => {
  const config = join(work, 'federation.yaml');
  const signed = cohort('federation', 'sign', '--config', config, '--key', join(work, 'operator.key'));
  assert.equal(signed.status, 0, signed.stderr);
  assert.match(signed.stdout, /^sha256 [0-9a-f]{64}\n/);
  assert.match(signed.stdout, new RegExp(`operator ${operatorKey}`));
  assert.match(signed.stdout, /3 members, 3 rounds, aggregation secure/);
  const file = join(work, 'federation.manifest.json');
  assert.match(await readFile(file, 'utf8'), /"operatorKey"/);
  const again = cohort('federation', 'sign', '--config', config, '--key', join(work, 'operator.key'));
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists/);

  const sha = /^sha256 ([0-9a-f]{64})/.exec(signed.stdout)![1]!;
  const byKey = cohort('federation', 'verify', file, '--operator-key', operatorKey, '--config', config);
  assert.equal(byKey.status, 0, byKey.stderr);
  assert.match(byKey.stdout, new RegExp(`^sha256 ${sha}`));
  assert.match(byKey.stdout, /matches/);
  assert.equal(cohort('federation', 'verify', file, '--sha256', sha).status, 0);
});

test('verify names what failed: another operator, another hash, an altered file, another federation file', async () => {
  const file = join(work, 'federation.manifest.json');
  const wrongKey = cohort('federation', 'verify', file, '--operator-key', 'ab'.repeat(32));
  assert.equal(wrongKey.status, 1);
  assert.match(wrongKey.stderr, /not by the pinned operator key/);
  const wrongHash = cohort('federation', 'verify', file, '--sha256', 'ab'.repeat(32));
  assert.equal(wrongHash.status, 1);
  assert.match(wrongHash.stderr, /not the pinned manifest/);
  const altered = join(work, 'altered.json');
  await writeFile(altered, (await readFile(file, 'utf8')).replace('"rounds": 3', '"rounds": 30'));
  const tampered = cohort('federation', 'verify', altered, '--operator-key', operatorKey);
  assert.equal(tampered.status, 1);
  assert.match(tampered.stderr, /signature: does not verify/);
  await writeFile(join(work, 'longer.yaml'), federation(4));
  const other = cohort(
    'federation',
    'verify',
    file,
    '--operator-key',
    operatorKey,
    '--config',
    join(work, 'longer.yaml'),
  );
  assert.equal(other.status, 1);
  assert.match(other.stderr, /rounds: 3 in the signed manifest, 4 in the federation file/);
  const noPin = cohort('federation', 'verify', file);
  assert.equal(noPin.status, 2);
  assert.match(noPin.stderr, /--operator-key HEX and --sha256 HEX/);
});

test('the coordinator refuses a manifest that does not describe its file, and a file without one', async () => {
  const changed = join(work, 'changed.yaml');
  await writeFile(changed, federation(4));
  const mismatch = cohort('coordinator', '--config', changed);
  assert.equal(mismatch.status, 1);
  assert.match(mismatch.stderr, /manifest: rounds: 3 in the signed manifest, 4 in the federation file/);
  const bare = join(work, 'bare.yaml');
  await writeFile(bare, federation(3, ''));
  const none = cohort('coordinator', '--config', bare);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /insecureNoManifest: true for development/);
});
