import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { seedFromNumber } from '../../aggregation/index.js';
import {
  ParticipationLog,
  ParticipationLogCorrupt,
  RepeatedRoundError,
} from '../../client-sdk/participation-log.js';
import { withTempDir } from './guard-fixtures.js';

const A = seedFromNumber(1);
const B = seedFromNumber(2);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function repeated(stage: 'joined' | 'masked-input', id: Uint8Array) {
  return (error: unknown) => {
    assert.ok(error instanceof RepeatedRoundError, String(error));
    assert.equal(error.stage, stage);
    assert.equal(error.roundId, hex(id));
    return true;
  };
}

test('a round id is joined once and masked once; a restarted member remembers both', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'state', 'rounds.log');
    const log = await ParticipationLog.open(path);
    await log.begin(A);
    await assert.rejects(log.begin(A), repeated('joined', A));
    await log.markMaskedInput(A);
    await assert.rejects(log.markMaskedInput(A), repeated('masked-input', A));
    await log.begin(B);
    assert.equal(
      await readFile(path, 'utf8'),
      `joined ${hex(A)}\nmasked-input ${hex(A)}\njoined ${hex(B)}\n`,
    );

    // The member restarts: a new instance reads the file.
    const restarted = await ParticipationLog.open(path);
    assert.ok(restarted.hasJoined(A) && restarted.hasJoined(B));
    assert.ok(!restarted.hasJoined(seedFromNumber(3)));
    await assert.rejects(restarted.begin(A), repeated('joined', A));
    await assert.rejects(restarted.begin(B), repeated('joined', B));
    await assert.rejects(restarted.markMaskedInput(A), repeated('masked-input', A));
    // B joined but had not masked before the restart: its one masked input may still go (the
    // runner never gets there, since the restarted member refuses to rejoin B).
    await restarted.markMaskedInput(B);
    await restarted.begin(seedFromNumber(3));
  });
});

test('two concurrent begins of one round id: exactly one succeeds', async () => {
  await withTempDir(async (dir) => {
    const log = await ParticipationLog.open(join(dir, 'rounds.log'));
    const results = await Promise.allSettled([log.begin(A), log.begin(A)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
  });
});

test('a torn last line (a crash mid-append) is ignored and cut off, so the next record starts clean', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'rounds.log');
    await writeFile(path, `joined ${hex(A)}\nmasked-input ${hex(A).slice(0, 17)}`);
    const log = await ParticipationLog.open(path);
    assert.ok(log.hasJoined(A));
    // The torn masked-input record never took effect: the member had not sent it.
    await log.markMaskedInput(A);
    await log.begin(B);
    assert.equal(
      await readFile(path, 'utf8'),
      `joined ${hex(A)}\nmasked-input ${hex(A)}\njoined ${hex(B)}\n`,
    );
    const again = await ParticipationLog.open(path);
    await assert.rejects(again.markMaskedInput(A), repeated('masked-input', A));
  });
});

test('a complete line that is no record is corruption, not something to skip', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'rounds.log');
    await writeFile(path, `joined ${hex(A)}\n`);
    await appendFile(path, 'forgotten everything\n');
    await assert.rejects(ParticipationLog.open(path), (error: unknown) => {
      assert.ok(error instanceof ParticipationLogCorrupt);
      assert.equal(error.line, 2);
      return true;
    });
  });
});

test('round ids outside 1..64 bytes are not recorded', async () => {
  await withTempDir(async (dir) => {
    const log = await ParticipationLog.open(join(dir, 'rounds.log'));
    await assert.rejects(log.begin(new Uint8Array(0)), RangeError);
    await assert.rejects(log.begin(new Uint8Array(65)), RangeError);
    await log.begin(new Uint8Array(64).fill(7));
  });
});
