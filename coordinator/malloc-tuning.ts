import { spawnSync } from 'node:child_process';

/**
 * glibc settings for processes that expand mask keystreams. node:crypto's Cipher.update returns a
 * fresh 64 KiB buffer per keystream block; with glibc's default thresholds the freed blocks are handed
 * back to the kernel and faulted in again. One 300-client × 1M-word round (bench:secagg) measured
 * 3.6M page faults by default and 75k with these: freed heap up to 64 MiB is kept for reuse, and
 * buffers of 1 MiB or more (whole vectors) are mapped and unmapped directly, so they never pin RSS.
 */
export const GLIBC_TUNABLES = 'glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=1048576';

/**
 * glibc reads its tunables only at start-up, so a process started without them runs itself again with
 * them (same arguments, same stdio) and exits with the child's status. Returns only in the tuned process.
 */
export function ensureMallocTuning(): void {
  if (process.platform !== 'linux' || process.env['GLIBC_TUNABLES'] === GLIBC_TUNABLES) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES },
  });
  process.exit(child.status ?? 1);
}
