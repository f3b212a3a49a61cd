import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cryptoReady, signingKeyPairFromSeed, seedFromNumber } from '../../aggregation/index.js';
import { isMemberRefusal, MemberGuard, PARTICIPATION_LOG } from '../../client-sdk/member-guard.js';
import { RoundRefusal } from '../../client-sdk/round-guard.js';
import { identities, manifest, roundStarted, withTempDir } from './guard-fixtures.js';

await cryptoReady();

const keys = identities();
const pinned = manifest(keys);
const EIGHT = [1, 2, 3, 4, 5, 6, 7, 8];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test("the member's index is the manifest's; a key the manifest does not name cannot open a guard", async () => {
  await withTempDir(async (dir) => {
    const guard = await MemberGuard.open({ pinned, identityKey: keys[4]!.publicKey, stateDir: dir });
    assert.equal(guard.memberIndex, 5);
    // The coordinator's Join answer put the member elsewhere: refused, and nothing recorded.
    await assert.rejects(
      guard.admit(roundStarted(pinned, EIGHT, 1), 6),
      (e: unknown) => e instanceof RoundRefusal && e.field === 'member_index' && isMemberRefusal(e),
    );
    const stranger = signingKeyPairFromSeed(seedFromNumber(4_242));
    await assert.rejects(
      MemberGuard.open({ pinned, identityKey: stranger.publicKey, stateDir: dir }),
      /not in the pinned manifest/,
    );
  });
});

test('an admitted round is on disk before admit returns; a refused one is not', async () => {
  await withTempDir(async (dir) => {
    const guard = await MemberGuard.open({ pinned, identityKey: keys[0]!.publicKey, stateDir: dir });
    const good = roundStarted(pinned, EIGHT, 1);
    const admitted = await guard.admit(good);
    assert.equal(admitted.parameters.clients, 8);
    assert.equal(admitted.noiseVariance, 0);
    assert.equal(admitted.privacyEvent, undefined);
    const bad = roundStarted(pinned, EIGHT, 2, (s) => void (s.secagg!.threshold = 2));
    await assert.rejects(guard.admit(bad), RoundRefusal);
    const log = await readFile(join(dir, PARTICIPATION_LOG), 'utf8');
    assert.equal(log, `joined ${hex(good.round_id)}\n`);
    // Without a round admitted there is no masked input to record.
    await assert.rejects(guard.beforeMaskedInput(bad.round_id), /not admitted/);
    await guard.beforeMaskedInput(good.round_id);
    assert.equal(
      await readFile(join(dir, PARTICIPATION_LOG), 'utf8'),
      `joined ${hex(good.round_id)}\nmasked-input ${hex(good.round_id)}\n`,
    );
  });
});

test('admitPlain: a plaintext round only under a robust manifest', async () => {
  await withTempDir(async (dir) => {
    const guard = await MemberGuard.open({ pinned, identityKey: keys[0]!.publicKey, stateDir: dir });
    const plain = roundStarted(pinned, EIGHT, 1, (s) => {
      s.secagg = null;
      s.plain = { dimension: 14, max_chunk_values: 100 };
    });
    assert.throws(() => guard.admitPlain(plain), RoundRefusal);
  });
});
