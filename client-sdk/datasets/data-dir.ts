import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Where dataset files live. An explicit `--data-dir` wins so one run can point at a mirror without
 * touching the environment; `COHORT_DATA_DIR` lets CI and tests share one read-only copy; otherwise
 * a per-user cache, so a download survives across checkouts and never lands inside the repository.
 * The result is absolute so a later `process.chdir` cannot change which folder it names.
 *
 * `env` exists so tests can check the precedence without mutating `process.env`.
 */
export function resolveDataDir(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined && option !== '') return resolve(option);
  const fromEnv = env['COHORT_DATA_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env['XDG_CACHE_HOME'];
  const cache = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(cache, 'cohort', 'datasets');
}
