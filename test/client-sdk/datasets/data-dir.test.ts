import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { resolveDataDir } from '../../../client-sdk/datasets/index.js';

describe('resolveDataDir', () => {
  const saved = process.env['COHORT_DATA_DIR'];
  after(() => {
    if (saved === undefined) delete process.env['COHORT_DATA_DIR'];
    else process.env['COHORT_DATA_DIR'] = saved;
  });

  test('the --data-dir option wins over the environment', () => {
    const env = { COHORT_DATA_DIR: '/from/env', XDG_CACHE_HOME: '/xdg' };
    assert.equal(resolveDataDir('/from/option', env), '/from/option');
  });

  test('COHORT_DATA_DIR wins over the cache', () => {
    assert.equal(
      resolveDataDir(undefined, { COHORT_DATA_DIR: '/from/env', XDG_CACHE_HOME: '/xdg' }),
      '/from/env',
    );
  });

  test('empty values count as unset', () => {
    assert.equal(resolveDataDir('', { COHORT_DATA_DIR: '', XDG_CACHE_HOME: '/xdg' }), '/xdg/cohort/datasets');
  });

  test('XDG_CACHE_HOME, then ~/.cache', () => {
    assert.equal(resolveDataDir(undefined, { XDG_CACHE_HOME: '/xdg' }), '/xdg/cohort/datasets');
    assert.equal(resolveDataDir(undefined, {}), join(homedir(), '.cache', 'cohort', 'datasets'));
  });

  test('a relative XDG_CACHE_HOME is ignored, as the XDG spec requires', () => {
    assert.equal(
      resolveDataDir(undefined, { XDG_CACHE_HOME: 'relative' }),
      join(homedir(), '.cache', 'cohort', 'datasets'),
    );
  });

  test('relative paths are made absolute against the working directory', () => {
    assert.equal(resolveDataDir('data', {}), resolve('data'));
    assert.equal(resolveDataDir(undefined, { COHORT_DATA_DIR: '../mirror' }), resolve('../mirror'));
  });

  test('reads process.env by default', () => {
    process.env['COHORT_DATA_DIR'] = '/from/process/env';
    assert.equal(resolveDataDir(), '/from/process/env');
    assert.equal(resolveDataDir('/option'), '/option');
  });
});
