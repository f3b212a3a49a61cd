import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../aggregation/errors.js';
import {
  CheckpointError,
  CheckpointStore,
  type CheckpointEntry,
  type CheckpointErrorCode,
} from '../../coordinator/store/index.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A distinct 1 KiB model per seed. */
function model(seed: number): Uint8Array {
  const bytes = new Uint8Array(1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + seed * 17) & 0xff;
  return bytes;
}

function entry(round: number, parentSha256: string | null, bytes = model(round)): CheckpointEntry {
  return {
    round,
    model: bytes,
    parentSha256,
    now: NOW,
    participants: 10 + round,
    aggregation: { mode: 'secure', optimizer: { kind: 'fedadam', learningRate: 0.01 } },
    metrics: { loss: 1 / (round + 1) },
  };
}

/** Each test gets its own data directory, removed afterwards even when the test fails. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-checkpoints-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Saves rounds 0..count-1, each the child of the one before; returns the model hashes. */
async function saveChain(store: CheckpointStore, count: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let round = 0; round < count; round++) {
    hashes.push((await store.save(entry(round, hashes[round - 1] ?? null))).modelSha256);
  }
  return hashes;
}

async function rejectsWith(promise: Promise<unknown>, code: CheckpointErrorCode, ...parts: string[]) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `not a CheckpointError: ${String(e)}`);
    assert.equal(e.code, code);
    for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' lacks ${part}`);
    return true;
  });
}

const manifestPath = (dir: string, round: number): string =>
  join(dir, 'checkpoints', `${String(round).padStart(6, '0')}.json`);

describe('CheckpointStore', () => {
  test('save then load round-trips the model and the manifest', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const state = new Uint8Array([1, 2, 3, 250]);
      const { modelSha256 } = await store.save({ ...entry(0, null), optimizerState: state });
      const loaded = await store.load(0);
      assert.ok(loaded);
      assert.deepEqual(loaded.model, model(0));
      assert.deepEqual(loaded.manifest, {
        version: 1,
        round: 0,
        modelSha256,
        parentSha256: null,
        createdAt: '2026-01-02T03:04:05.678Z',
        participants: 10,
        aggregation: { mode: 'secure', optimizer: { kind: 'fedadam', learningRate: 0.01 } },
        metrics: { loss: 1 },
        optimizerState: Buffer.from(state).toString('base64'),
      });
      assert.deepEqual(new Uint8Array(Buffer.from(loaded.manifest.optimizerState, 'base64')), state);
      assert.equal(await store.load(1), undefined);
    }));

  test('models are content-addressed: the same bytes are one file named by their SHA-256', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const bytes = model(7);
      const first = await store.save(entry(0, null, bytes));
      const second = await store.save(entry(1, first.modelSha256, bytes)); // a round that changed nothing
      assert.equal(first.modelSha256, sha(bytes));
      assert.equal(second.modelSha256, sha(bytes));
      assert.deepEqual(await readdir(join(dir, 'models')), [`${sha(bytes)}.bin`]);
      assert.deepEqual(new Uint8Array(await readFile(join(dir, 'models', `${sha(bytes)}.bin`))), bytes);
    }));

  test('latest is the highest round after several saves; list is in round order', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      assert.equal(await store.latest(), undefined, 'an empty store has no latest');
      const hashes = await saveChain(store, 5);
      const latest = await store.latest();
      assert.equal(latest?.manifest.round, 4);
      assert.equal(latest.manifest.modelSha256, hashes[4]);
      assert.deepEqual(latest.model, model(4));
      assert.deepEqual(latest.skipped, []);
      const listed = await store.list();
      assert.deepEqual(
        listed.map((m) => [m.round, m.parentSha256]),
        [0, 1, 2, 3, 4].map((r) => [r, hashes[r - 1] ?? null]),
      );
    }));

  test('a reopened store resumes from the latest checkpoint and extends the chain', () =>
    withDir(async (dir) => {
      await saveChain(await CheckpointStore.open(dir), 3);
      const reopened = await CheckpointStore.open(dir);
      const latest = await reopened.latest();
      assert.equal(latest?.manifest.round, 2);
      await reopened.save(entry(3, latest.manifest.modelSha256));
      assert.equal((await reopened.latest())?.manifest.round, 3);
      assert.deepEqual(await reopened.verifyChain(), { ok: true, rounds: 4 });
    }));

  test('rounds may skip (an aborted round): the parent is the nearest earlier checkpoint', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const hashes = await saveChain(store, 2);
      await store.save(entry(5, hashes[1]!));
      assert.deepEqual(
        (await store.list()).map((m) => m.round),
        [0, 1, 5],
      );
      assert.deepEqual(await store.verifyChain(), { ok: true, rounds: 3 });
    }));

  test('a truncated newest model is skipped: latest returns the previous round and says why', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const hashes = await saveChain(store, 3);
      await truncate(join(dir, 'models', `${hashes[2]}.bin`), 100);
      const latest = await store.latest();
      assert.equal(latest?.manifest.round, 1);
      assert.equal(latest.skipped.length, 1);
      assert.equal(latest.skipped[0]?.round, 2);
      assert.match(latest.skipped[0].reason, /corrupt/);
      await rejectsWith(store.load(2), 'corrupt', hashes[2]!);
    }));

  test('a newest manifest with bad JSON is skipped, and the round can then be saved again', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const hashes = await saveChain(store, 3);
      await writeFile(manifestPath(dir, 2), '{"version": 1, "round": 2, "modelSha');
      const latest = await store.latest();
      assert.equal(latest?.manifest.round, 1);
      assert.deepEqual(
        latest.skipped.map((s) => s.round),
        [2],
      );
      assert.match(latest.skipped[0]!.reason, /not valid JSON/);
      // The coordinator resumes from round 1 and redoes round 2, replacing the broken manifest.
      await store.save(entry(2, hashes[1]!));
      assert.equal((await store.latest())?.manifest.round, 2);
    }));

  test('a manifest naming a missing model is skipped', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const hashes = await saveChain(store, 2);
      await unlink(join(dir, 'models', `${hashes[1]}.bin`));
      const latest = await store.latest();
      assert.equal(latest?.manifest.round, 0);
      assert.match(latest.skipped[0]!.reason, /missing/);
    }));

  test('when checkpoints exist but none is intact, latest refuses instead of starting over', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      await saveChain(store, 1);
      await writeFile(manifestPath(dir, 0), 'not json');
      await rejectsWith(store.latest(), 'corrupt', 'no intact checkpoint');
    }));

  test('no temp files are left behind after saves, and a crashed write is cleaned up on open', () =>
    withDir(async (dir) => {
      await saveChain(await CheckpointStore.open(dir), 3);
      const names = async (): Promise<string[]> => [
        ...(await readdir(join(dir, 'models'))),
        ...(await readdir(join(dir, 'checkpoints'))),
      ];
      for (const name of await names()) assert.match(name, /^([0-9a-f]{64}\.bin|\d{6}\.json)$/);
      assert.equal((await names()).length, 6);
      await writeFile(join(dir, 'checkpoints', '.000003.json.dead.tmp'), '{"half');
      await CheckpointStore.open(dir);
      assert.equal((await names()).length, 6);
    }));

  test('a parent that is not the previous model is rejected naming both hashes', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const hashes = await saveChain(store, 2);
      const wrong = sha(model(99));
      await rejectsWith(store.save(entry(2, wrong)), 'parent-mismatch', wrong, hashes[1]!, 'round 1');
      await rejectsWith(store.save(entry(2, null)), 'parent-mismatch', 'null', hashes[1]!);
      await withDir(async (empty) => {
        const fresh = await CheckpointStore.open(empty);
        await rejectsWith(fresh.save(entry(0, wrong)), 'parent-mismatch', wrong, 'null');
      });
      assert.equal(await store.load(2), undefined, 'nothing was written');
    }));

  test('saving an identical round twice is fine; different content or an older round is rejected', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const hashes = await saveChain(store, 2);
      const again = await store.save(entry(1, hashes[0]!));
      assert.equal(again.modelSha256, hashes[1]);
      await rejectsWith(store.save(entry(1, hashes[0]!, model(42))), 'conflict');
      await rejectsWith(store.save({ ...entry(1, hashes[0]!), metrics: { loss: 0.1 } }), 'conflict');
      await rejectsWith(store.save({ ...entry(1, hashes[0]!), now: new Date(0) }), 'conflict');
      await store.save(entry(3, hashes[1]!));
      await rejectsWith(store.save(entry(2, hashes[1]!)), 'out-of-order', 'round 3');
      assert.deepEqual((await store.load(1))?.model, model(1));
    }));

  test('verifyChain passes an intact history and finds a tampered manifest or model', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const hashes = await saveChain(store, 4);
      assert.deepEqual(await store.verifyChain(), { ok: true, rounds: 4 });

      // Point round 1 at another (intact) model: round 1 alone looks fine, the link to round 2 breaks.
      const original = await readFile(manifestPath(dir, 1), 'utf8');
      await writeFile(manifestPath(dir, 1), original.replace(hashes[1]!, hashes[3]!));
      const report = await store.verifyChain();
      assert.equal(report.ok, false);
      assert.ok(!report.ok);
      assert.equal(report.round, 2);
      assert.ok(report.reason.includes(hashes[1]!) && report.reason.includes(hashes[3]!), report.reason);

      await writeFile(manifestPath(dir, 1), original);
      const bytes = await readFile(join(dir, 'models', `${hashes[2]}.bin`));
      bytes[0] = bytes[0]! ^ 1;
      await writeFile(join(dir, 'models', `${hashes[2]}.bin`), bytes);
      const flipped = await store.verifyChain();
      assert.ok(!flipped.ok);
      assert.equal(flipped.round, 2);
      assert.match(flipped.reason, /corrupt/);
    }));

  test('invalid entries are rejected naming the field', () =>
    withDir(async (dir) => {
      const store = await CheckpointStore.open(dir);
      const invalid: [Partial<Record<keyof CheckpointEntry, unknown>>, string][] = [
        [{ round: -1 }, 'round'],
        [{ round: 1.5 }, 'round'],
        [{ parentSha256: 'abc' }, 'parentSha256'],
        [{ now: new Date('nope') }, 'now'],
        [{ participants: -2 }, 'participants'],
        [{ metrics: [] }, 'metrics'],
        [{ aggregation: null }, 'aggregation'],
      ];
      for (const [patch, field] of invalid) {
        await assert.rejects(
          store.save({ ...entry(0, null), ...patch } as CheckpointEntry),
          (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
          field,
        );
      }
      assert.deepEqual(await store.list(), []);
    }));
});
