import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASETS, UCI_BASE_URL, type DatasetFile, type DatasetName } from './catalog.js';

/** The bytes served are not the bytes pinned in the catalog; nothing was written. */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file}: SHA-256 mismatch, expected ${expected}, got ${actual}; the file was not written`);
    this.name = 'ChecksumMismatchError';
  }
}

export class DownloadHttpError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    statusText: string,
  ) {
    super(`GET ${url}: HTTP ${status}${statusText === '' ? '' : ` ${statusText}`}`);
    this.name = 'DownloadHttpError';
  }
}

export interface DownloadOptions {
  /** Replaces the UCI archive root, e.g. an institutional mirror or a test server. */
  readonly baseUrl?: string | undefined;
  readonly fetchImpl?: typeof fetch | undefined;
  /** Called once per file, fetched or skipped: `file` is relative to the data directory, counts are files. */
  readonly onProgress?: ((file: string, done: number, total: number) => void) | undefined;
}

export interface DownloadResult {
  /** Absolute paths of every file of the dataset, all now present with the pinned hash. */
  readonly files: string[];
  /** The subset that had to be fetched (the rest were already present and correct). */
  readonly fetched: string[];
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function relativePath(entry: DatasetFile): string {
  return `${entry.folder}/${entry.file}`;
}

async function hashIfPresent(path: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function fetchBytes(url: string, fetchImpl: typeof fetch): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    throw new Error(`GET ${url}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadHttpError(url, response.status, response.statusText);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Temp file in the destination folder (a rename across file systems is not atomic), fsync before the
 * rename so the name never points at unwritten blocks after a crash, then a best-effort fsync of the
 * folder so the rename itself is durable; some platforms cannot open a directory, and the file is
 * complete either way.
 */
async function writeAtomically(folder: string, file: string, bytes: Uint8Array): Promise<string> {
  const target = join(folder, file);
  const temp = join(folder, `.${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  try {
    const directory = await open(folder, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch {
    // Durability of the directory entry only; see above.
  }
  return target;
}

/**
 * Fetches every file of `name` into `<dataDir>/<folder>/<file>`. Each file is hashed in memory before
 * anything touches the disk, so a tampered or truncated download can never be mistaken for data later;
 * files already present with the pinned hash are not fetched again, and a wrong local copy is replaced.
 * Files are fetched one after another: they are small, and a failure then names a single URL.
 */
export async function downloadDataset(
  name: DatasetName,
  dataDir: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const entries = DATASETS[name];
  const base = options.baseUrl ?? UCI_BASE_URL;
  const root = base.endsWith('/') ? base : `${base}/`;
  const fetchImpl = options.fetchImpl ?? fetch;
  const files: string[] = [];
  const fetched: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const folder = join(dataDir, entry.folder);
    const target = join(folder, entry.file);
    if ((await hashIfPresent(target)) !== entry.sha256) {
      const bytes = await fetchBytes(new URL(relativePath(entry), root).href, fetchImpl);
      const actual = sha256(bytes);
      if (actual !== entry.sha256) throw new ChecksumMismatchError(relativePath(entry), entry.sha256, actual);
      await mkdir(folder, { recursive: true });
      await writeAtomically(folder, entry.file, bytes);
      fetched.push(target);
    }
    files.push(target);
    options.onProgress?.(relativePath(entry), i + 1, entries.length);
  }
  return { files, fetched };
}

/** Checks the local copy against the pinned hashes, e.g. before a benchmark run whose numbers get published. */
export function verifyDataset(name: DatasetName, dataDir: string): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  for (const entry of DATASETS[name]) {
    const path = join(dataDir, entry.folder, entry.file);
    let actual: string;
    try {
      actual = sha256(readFileSync(path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(code === 'ENOENT' ? `${path}: missing` : `${path}: cannot read (${String(error)})`);
      continue;
    }
    if (actual !== entry.sha256) problems.push(`${path}: SHA-256 ${actual}, expected ${entry.sha256}`);
  }
  return { ok: problems.length === 0, problems };
}
