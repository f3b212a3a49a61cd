import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ChecksumMismatchError,
  DATASETS,
  DownloadHttpError,
  downloadDataset,
  verifyDataset,
} from '../../../client-sdk/datasets/index.js';

// Compiled to dist/test/client-sdk/datasets/: four levels up is the repository root.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const mirror = process.env['COHORT_DATA_DIR'] || join(repoRoot, '..', 'shared', 'datasets');

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The mirror's bytes with the first digit of the second line bumped: still plausible CSV. */
function tampered(path: string): Buffer {
  const bytes = readFileSync(path);
  const at = bytes.indexOf(0x0a) + 1;
  bytes[at] = bytes[at] === 0x39 ? 0x38 : bytes[at]! + 1;
  return bytes;
}

describe('downloadDataset against a local server', () => {
  let server: Server;
  let base: string;
  let dir: string;
  const requests: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-download-'));
    // /uci/<folder>/<file> serves the mirror; /tampered/… the same with one byte changed in processed.va.data.
    server = createServer((request, response) => {
      const url = request.url ?? '';
      requests.push(url);
      const match = /^\/(uci|tampered)\/([\w-]+)\/([\w.-]+)$/.exec(url);
      const path = match === null ? '' : join(mirror, match[2]!, match[3]!);
      if (match === null || !existsSync(path)) {
        response.writeHead(404).end('not found');
        return;
      }
      const body =
        match[1] === 'tampered' && match[3] === 'processed.va.data' ? tampered(path) : readFileSync(path);
      response.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    rmSync(dir, { recursive: true, force: true });
  });

  test('files land with the pinned hashes; a second run fetches nothing', async () => {
    const target = join(dir, 'fresh');
    const progress: [string, number, number][] = [];
    const first = await downloadDataset('heart-disease', target, {
      baseUrl: `${base}/uci`,
      onProgress: (file, done, total) => progress.push([file, done, total]),
    });
    assert.equal(first.files.length, 5);
    assert.deepEqual(first.fetched, first.files);
    for (const entry of DATASETS['heart-disease']) {
      const path = join(target, entry.folder, entry.file);
      assert.ok(first.files.includes(path));
      assert.equal(sha256(readFileSync(path)), entry.sha256);
      assert.deepEqual(readFileSync(path), readFileSync(join(mirror, entry.folder, entry.file)));
    }
    assert.deepEqual(progress.at(-1), ['heart-disease/heart-disease.names', 5, 5]);
    assert.deepEqual(
      readdirSync(join(target, 'heart-disease')).filter((f) => f.endsWith('.tmp')),
      [],
    );

    requests.length = 0;
    const second = await downloadDataset('heart-disease', target, { baseUrl: `${base}/uci/` });
    assert.deepEqual(requests, []);
    assert.deepEqual(second.fetched, []);
    assert.deepEqual(second.files, first.files);

    const wdbc = await downloadDataset('breast-cancer', target, { baseUrl: `${base}/uci` });
    assert.deepEqual(verifyDataset('breast-cancer', target), { ok: true, problems: [] });
    assert.equal(wdbc.fetched.length, 2);
  });

  test('a tampered byte: rejected naming the file and both hashes, nothing left behind', async () => {
    const target = join(dir, 'tampered');
    const entry = DATASETS['heart-disease'].find((e) => e.file === 'processed.va.data')!;
    const actual = sha256(tampered(join(mirror, entry.folder, entry.file)));
    assert.notEqual(actual, entry.sha256);
    await assert.rejects(
      downloadDataset('heart-disease', target, { baseUrl: `${base}/tampered` }),
      (error) => {
        assert.ok(error instanceof ChecksumMismatchError);
        assert.match(error.message, /heart-disease\/processed\.va\.data/);
        assert.ok(error.message.includes(entry.sha256) && error.message.includes(actual));
        assert.deepEqual([error.expected, error.actual], [entry.sha256, actual]);
        return true;
      },
    );
    const left = readdirSync(join(target, 'heart-disease'));
    assert.ok(!left.includes('processed.va.data'));
    assert.deepEqual(
      left.filter((f) => f.includes('processed.va.data')),
      [],
    );
  });

  test('an HTTP error names the URL and the status', async () => {
    const url = `${base}/missing/heart-disease/processed.cleveland.data`;
    await assert.rejects(
      downloadDataset('heart-disease', join(dir, 'http'), { baseUrl: `${base}/missing` }),
      (error) => {
        assert.ok(error instanceof DownloadHttpError);
        assert.equal(error.status, 404);
        assert.ok(error.message.includes(url) && error.message.includes('404'), error.message);
        return true;
      },
    );
    assert.ok(!existsSync(join(dir, 'http', 'heart-disease', 'processed.cleveland.data')));
  });

  test('a network failure names the URL', async () => {
    const failing: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    await assert.rejects(
      downloadDataset('breast-cancer', join(dir, 'net'), {
        baseUrl: 'https://mirror.invalid/x/',
        fetchImpl: failing,
      }),
      /GET https:\/\/mirror\.invalid\/x\/breast-cancer-wisconsin\/wdbc\.data: fetch failed/,
    );
  });

  test('verifyDataset reports a tampered or missing local copy; a download repairs it', async () => {
    const target = join(dir, 'verify');
    await downloadDataset('heart-disease', target, { baseUrl: `${base}/uci` });
    const path = join(target, 'heart-disease', 'processed.va.data');
    writeFileSync(path, tampered(path));
    rmSync(join(target, 'heart-disease', 'heart-disease.names'));
    const report = verifyDataset('heart-disease', target);
    assert.equal(report.ok, false);
    assert.equal(report.problems.length, 2);
    assert.ok(report.problems.some((p) => p.startsWith(path) && p.includes(sha256(readFileSync(path)))));
    assert.ok(report.problems.some((p) => p.includes('heart-disease.names: missing')));

    const repaired = await downloadDataset('heart-disease', target, { baseUrl: `${base}/uci` });
    assert.equal(repaired.fetched.length, 2);
    assert.deepEqual(verifyDataset('heart-disease', target), { ok: true, problems: [] });
  });
});
