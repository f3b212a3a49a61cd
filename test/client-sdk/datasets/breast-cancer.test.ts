import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DatasetFileError, loadBreastCancer } from '../../../client-sdk/datasets/index.js';

// Compiled to dist/test/client-sdk/datasets/: four levels up is the repository root.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const mirror = process.env['COHORT_DATA_DIR'] || join(repoRoot, '..', 'shared', 'datasets');

describe('loadBreastCancer', () => {
  const { data, featureNames } = loadBreastCancer(mirror);
  const lines = readFileSync(join(mirror, 'breast-cancer-wisconsin', 'wdbc.data'), 'utf8')
    .trim()
    .split('\n');

  test('569 rows × 30 features, 212 malignant', () => {
    assert.equal(data.rows, 569);
    assert.equal(data.features, 30);
    assert.equal(data.x.length, 569 * 30);
    assert.equal(
      data.y.reduce((a, b) => a + b, 0),
      212,
    );
    assert.ok(data.y.every((v) => v === 0 || v === 1));
  });

  test('labels and values follow the file (M = 1), unstandardized', () => {
    lines.forEach((line, r) => {
      const fields = line.split(',');
      assert.equal(data.y[r], fields[1] === 'M' ? 1 : 0);
      for (const f of [0, 13, 29]) assert.equal(data.x[r * 30 + f], Math.fround(Number(fields[f + 2])));
    });
  });

  test('feature names: ten means, ten standard errors, ten worst values', () => {
    assert.equal(featureNames.length, 30);
    assert.equal(featureNames[0], 'radius_mean');
    assert.equal(featureNames[10], 'radius_se');
    assert.equal(featureNames[20], 'radius_worst');
    assert.equal(featureNames[27], 'concave_points_worst');
    assert.equal(new Set(featureNames).size, 30);
  });
});

describe('loadBreastCancer errors', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-wdbc-'));
    mkdirSync(join(dir, 'breast-cancer-wisconsin'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a missing file names the path', () => {
    assert.throws(() => loadBreastCancer(dir), /wdbc\.data: file not found/);
  });

  test('a malformed line names the file and line', () => {
    const good = readFileSync(join(mirror, 'breast-cancer-wisconsin', 'wdbc.data'), 'utf8').split('\n');
    const path = join(dir, 'breast-cancer-wisconsin', 'wdbc.data');
    writeFileSync(path, [good[0], good[1], good[2]!.replace(',M,', ',X,')].join('\n'));
    assert.throws(
      () => loadBreastCancer(dir),
      (error: unknown) =>
        error instanceof DatasetFileError &&
        error.line === 3 &&
        /wdbc\.data:3: diagnosis/.test(error.message),
    );
    writeFileSync(path, [good[0], good[1]!.replace(/,[^,]*$/, '')].join('\n'));
    assert.throws(() => loadBreastCancer(dir), /wdbc\.data:2: expected 32 fields, found 31/);
  });
});
