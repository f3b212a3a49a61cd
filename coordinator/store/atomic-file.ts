import { createHash, randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/* File primitives for the checkpoint store: every write must survive a crash at any point. */

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Temp files are hidden and end in .tmp, so a crash leaves nothing that looks like a checkpoint. */
export const isTempName = (name: string): boolean => /^\..*\.tmp$/.test(name);

/** ENOENT becomes undefined: a missing file is an answer, not a failure. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Crash-safe replace: a reader (or the coordinator after a power cut) sees the old file or the whole new
 * one, never a prefix. The rename is atomic only within one directory, hence the temp file beside the
 * target; the file fsync makes the bytes durable before the name points at them, the directory fsync
 * makes the name durable.
 */
export async function writeAtomically(dir: string, name: string, data: Uint8Array | string): Promise<void> {
  const temp = join(dir, `.${name}.${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await fsyncDirectory(dir);
}
