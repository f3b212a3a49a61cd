import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DatasetFileError, loadHeartDisease, readHeartDisease } from '../../../client-sdk/datasets/index.js';

const GOOD = [
  '63.0,1.0,1.0,145.0,233.0,1.0,2.0,150.0,0.0,2.3,3.0,0.0,6.0,0',
  '67,1,4,160,286,0,2,108,1,1.5,?,?,?,2',
  '40,1,4,?,286,0,2,108,1,1.5,2,3,3,2',
  '58,0,2,120,250,0,0,160,0,.5,?,?,?,0',
  '41,0,3,130,204,0,0,172,0,1.4,1,0,3,1',
];

describe('heart-disease file errors', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-heart-'));
    mkdirSync(join(dir, 'heart-disease'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(site: string, lines: readonly string[]): string {
    const path = join(dir, 'heart-disease', `processed.${site}.data`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  }

  test('a missing file names the path and how to get it', () => {
    const path = join(dir, 'heart-disease', 'processed.va.data');
    assert.throws(
      () => loadHeartDisease(dir, 'va'),
      (error: unknown) =>
        error instanceof DatasetFileError &&
        error.file === path &&
        error.message.includes(path) &&
        error.message.includes('downloadDataset'),
    );
  });

  test('a small well-formed file: missing kept values drop the row, dropped columns may be missing', () => {
    write('cleveland', GOOD);
    const rows = readHeartDisease(dir, 'cleveland');
    assert.deepEqual(rows.lines, [1, 2, 4, 5]);
    assert.deepEqual([...rows.y], [0, 1, 0, 1]);
    // cp = 4 → cp_4; restecg = 2 → restecg_2; row 4: cp = 2, restecg = 0, oldpeak '.5'.
    assert.deepEqual([...rows.x.subarray(13, 26)], [67, 1, 160, 286, 0, 108, 1, 1.5, 0, 0, 1, 0, 1]);
    assert.deepEqual([...rows.x.subarray(26, 39)], [58, 0, 120, 250, 0, 160, 0, 0.5, 1, 0, 0, 0, 0]);
  });

  for (const [label, bad, pattern] of [
    ['too few fields', '41,0,3,130,204,0,0,172,0,1.4,1,0,3', /:4: expected 14 fields, found 13/],
    ['a non-number', '41,0,3,130,2o4,0,0,172,0,1.4,1,0,3,1', /:4: chol: not a number: '2o4'/],
    ['an empty field', '41,0,3,130,,0,0,172,0,1.4,1,0,3,1', /:4: chol: not a number: ''/],
    ['cp out of range', '41,0,5,130,204,0,0,172,0,1.4,1,0,3,1', /:4: cp: 5 is not one of 1, 2, 3, 4/],
    ['num out of range', '41,0,3,130,204,0,0,172,0,1.4,1,0,3,7', /:4: num: 7 is not one of/],
    ['garbage in a dropped column', '41,0,3,130,204,0,0,172,0,1.4,x,0,3,1', /:4: slope: not a number/],
  ] as const) {
    test(`a malformed line (${label}) names the file and line`, () => {
      const path = write('hungarian', [GOOD[0]!, GOOD[1]!, '', bad]);
      assert.throws(
        () => loadHeartDisease(dir, 'hungarian'),
        (error: unknown) => {
          assert.ok(error instanceof DatasetFileError);
          assert.equal(error.file, path);
          assert.equal(error.line, 4);
          assert.match(error.message, pattern);
          return true;
        },
      );
    });
  }

  test('an unknown site is refused', () => {
    assert.throws(() => readHeartDisease(dir, 'boston' as 'va'), /unknown heart-disease centre 'boston'/);
  });
});
