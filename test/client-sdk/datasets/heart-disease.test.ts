import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  HEART_DISEASE_SITES,
  loadHeartDisease,
  type HeartDiseaseSite,
  type TabularSplit,
} from '../../../client-sdk/datasets/index.js';

// Compiled to dist/test/client-sdk/datasets/: four levels up is the repository root.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const mirror = process.env['COHORT_DATA_DIR'] || join(repoRoot, '..', 'shared', 'datasets');

const EXPECTED_ROWS = { cleveland: 303, hungarian: 261, switzerland: 46, va: 130 };
const EXPECTED_POSITIVES = { cleveland: 139, hungarian: 98, switzerland: 45, va: 101 };
const NAMES = [
  'age', 'sex', 'trestbps', 'chol', 'fbs', 'thalach', 'exang', 'oldpeak',
  'cp_2', 'cp_3', 'cp_4', 'restecg_1', 'restecg_2',
]; // prettier-ignore

interface RawRow {
  readonly features: number[];
  readonly label: number;
}

/** The README's cleaning, written out again without the loader's code, keyed by file line. */
function rawRows(site: HeartDiseaseSite): Map<number, RawRow> {
  const text = readFileSync(join(mirror, 'heart-disease', `processed.${site}.data`), 'utf8');
  const rows = new Map<number, RawRow>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const f = line.split(',');
    if ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13].some((c) => f[c] === '?')) return;
    const v = f.map(Number);
    const [cp, restecg] = [v[2]!, v[6]!];
    rows.set(i + 1, {
      features: [v[0]!, v[1]!, v[3]!, v[4]!, v[5]!, v[7]!, v[8]!, v[9]!]
        .concat([2, 3, 4].map((l) => Number(cp === l)))
        .concat([1, 2].map((l) => Number(restecg === l))),
      label: Number(v[13]! > 0),
    });
  });
  return rows;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function column(split: TabularSplit, f: number): number[] {
  return Array.from({ length: split.rows }, (_, r) => split.x[r * split.features + f]!);
}

test('the shared mirror is where the tests look for it', () => {
  assert.ok(existsSync(join(repoRoot, 'package.json')), `no package.json in ${repoRoot}`);
  assert.ok(existsSync(join(mirror, 'heart-disease', 'processed.cleveland.data')), `no mirror at ${mirror}`);
});

describe('loadHeartDisease', () => {
  const loaded = HEART_DISEASE_SITES.map((site) => loadHeartDisease(mirror, site));

  test('rows kept per centre after cleaning: 303 / 261 / 46 / 130 = 740', () => {
    const counts = loaded.map((d) => d.train.rows + d.test.rows);
    assert.deepEqual(
      counts,
      HEART_DISEASE_SITES.map((s) => EXPECTED_ROWS[s]),
    );
    assert.equal(sum(counts), 740);
    for (const [i, site] of HEART_DISEASE_SITES.entries()) assert.equal(rawRows(site).size, counts[i]);
  });

  test('13 features with the expected names and widths', () => {
    for (const d of loaded) {
      assert.deepEqual(d.featureNames, NAMES);
      assert.equal(d.train.features, 13);
      assert.equal(d.train.x.length, d.train.rows * 13);
      assert.equal(d.test.x.length, d.test.rows * 13);
    }
  });

  test('labels are 0/1 with the prevalence the raw file gives', () => {
    for (const d of loaded) {
      const y = [...d.train.y, ...d.test.y];
      assert.ok(y.every((v) => v === 0 || v === 1));
      const raw = [...rawRows(d.site).values()].filter((r) => r.label === 1).length;
      assert.equal(sum(y), raw, d.site);
      assert.equal(raw, EXPECTED_POSITIVES[d.site], d.site);
      const prevalence = raw / y.length;
      assert.ok(prevalence > 0.3 && prevalence < 1, `${d.site}: ${prevalence}`);
    }
  });

  test('each split is ~66/34 and stratified to within one row', () => {
    for (const d of loaded) {
      const n = d.train.rows + d.test.rows;
      assert.ok(Math.abs(d.test.rows - 0.34 * n) <= 1, `${d.site}: ${d.test.rows} of ${n}`);
      const prevalence = (sum(d.train.y) + sum(d.test.y)) / n;
      assert.ok(Math.abs(sum(d.test.y) - prevalence * d.test.rows) <= 1, d.site);
      assert.ok(Math.abs(sum(d.train.y) - prevalence * d.train.rows) <= 1, d.site);
      assert.equal(new Set([...d.lines.train, ...d.lines.test]).size, n);
    }
  });

  test('deterministic for a seed, different for another seed', () => {
    for (const site of HEART_DISEASE_SITES) {
      const again = loadHeartDisease(mirror, site);
      assert.deepEqual(again, loaded[HEART_DISEASE_SITES.indexOf(site)]);
      const seeded = loadHeartDisease(mirror, site, { seed: 1 });
      assert.deepEqual(seeded, loadHeartDisease(mirror, site, { seed: 1 }));
      assert.notDeepEqual(seeded.lines.test, loadHeartDisease(mirror, site, { seed: 2 }).lines.test);
    }
  });

  test('training columns standardized: mean 0, std 1 (constant columns all 0)', () => {
    for (const d of loaded) {
      const raw = rawRows(d.site);
      for (let f = 0; f < 13; f++) {
        const values = column(d.train, f);
        const constant = new Set(d.lines.train.map((l) => raw.get(l)!.features[f])).size === 1;
        if (constant) {
          assert.ok(
            values.every((v) => v === 0),
            `${d.site} ${NAMES[f]}`,
          );
          continue;
        }
        const mean = sum(values) / values.length;
        const std = Math.sqrt(sum(values.map((v) => (v - mean) ** 2)) / values.length);
        assert.ok(Math.abs(mean) < 1e-4, `${d.site} ${NAMES[f]} mean ${mean}`);
        assert.ok(Math.abs(std - 1) < 1e-4, `${d.site} ${NAMES[f]} std ${std}`);
      }
    }
  });

  test("Switzerland's cholesterol (always 0 in the file) is a constant column", () => {
    const swiss = loaded[HEART_DISEASE_SITES.indexOf('switzerland')]!;
    assert.ok([...column(swiss.train, 3), ...column(swiss.test, 3)].every((v) => v === 0));
  });

  test('both splits standardized with the TRAINING statistics, recomputed from the raw file', () => {
    for (const d of loaded) {
      const raw = rawRows(d.site);
      const trainRaw = d.lines.train.map((l) => raw.get(l)!.features);
      for (let f = 0; f < 13; f++) {
        const values = trainRaw.map((row) => row[f]!);
        const mean = sum(values) / values.length;
        const std = Math.sqrt(sum(values.map((v) => (v - mean) ** 2)) / values.length);
        const scale = new Set(values).size === 1 ? 1 : std;
        for (const [split, lines] of [
          [d.train, d.lines.train],
          [d.test, d.lines.test],
        ] as const) {
          lines.forEach((line, r) => {
            const expected = (raw.get(line)!.features[f]! - mean) / scale;
            const actual = split.x[r * 13 + f]!;
            assert.ok(
              Math.abs(actual - expected) < 1e-4,
              `${d.site}:${line} ${NAMES[f]} ${actual} ≠ ${expected}`,
            );
            if (f === 0) assert.equal(split.y[r], raw.get(line)!.label);
          });
        }
      }
    }
  });
});
