import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export type TF = typeof import('@tensorflow/tfjs');
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'node' | 'wasm' | 'cpu';

export interface LoadOptions {
  /** Tried first; the others follow in the default order node → wasm → cpu. */
  prefer?: BackendPreference;
  /** Receives one line naming the backend chosen and why the others were not. */
  log?: (line: string) => void;
}

export interface LoadedTensorFlow {
  tf: TF;
  backend: BackendName;
}

/**
 * A specifier held in a variable so TypeScript does not demand the optional package's types, which
 * are absent wherever its native install (a libtensorflow download) was skipped.
 */
const TFJS_NODE = '@tensorflow/tfjs-node';
const DEFAULT_ORDER: readonly BackendPreference[] = ['node', 'wasm', 'cpu'];

/**
 * TF.js keeps one global engine per process, so a second backend choice would silently move every
 * variable between backends. The first call therefore decides for the whole process.
 */
let loading: { prefer: BackendPreference | undefined; result: Promise<LoadedTensorFlow> } | undefined;

/**
 * Loads TensorFlow.js on the fastest backend available without touching the network.
 *
 * Console noise: in 4.22 the "Hi, looks like you are running TensorFlow.js in Node.js" banner is not
 * printed on import; the CPU backend prints it through `console.warn` (stderr) on its first tensor
 * write, and only when the CPU backend is in use. We leave it there: stdout stays clean for JSON
 * output. Training passes `verbose: 0` to `fit` because tfjs-node registers a progress bar that
 * would otherwise write to stdout.
 */
export function loadTensorFlow(options: LoadOptions = {}): Promise<LoadedTensorFlow> {
  const log = options.log ?? (() => undefined);
  if (loading !== undefined) {
    const { prefer, result } = loading;
    const ignored = options.prefer !== undefined && options.prefer !== prefer;
    return result.then((loaded) => {
      const note = ignored ? `; prefer=${options.prefer} ignored, the first call decides` : '';
      log(`training: reusing TensorFlow.js backend '${loaded.backend}' loaded earlier${note}`);
      return loaded;
    });
  }
  const result = choose(options.prefer, log);
  loading = { prefer: options.prefer, result };
  // A failed load must not poison later attempts.
  result.catch(() => {
    if (loading?.result === result) loading = undefined;
  });
  return result;
}

async function choose(prefer: BackendPreference | undefined, log: (line: string) => void) {
  const order = prefer === undefined ? DEFAULT_ORDER : [prefer, ...DEFAULT_ORDER.filter((b) => b !== prefer)];
  const skipped: string[] = [];
  for (const candidate of order) {
    try {
      const loaded = await attempt(candidate);
      const why = skipped.length > 0 ? skipped.join('; ') : 'first choice';
      const untried = order.slice(order.indexOf(candidate) + 1).map(label);
      const rest = untried.length > 0 ? `; ${untried.join(', ')} not tried` : '';
      log(`training: using TensorFlow.js backend '${loaded.backend}' (${why}${rest})`);
      return loaded;
    } catch (error) {
      skipped.push(`${label(candidate)} unavailable: ${describe(error)}`);
    }
  }
  throw new Error(`training: no TensorFlow.js backend could be loaded (${skipped.join('; ')})`);
}

async function attempt(candidate: BackendPreference): Promise<LoadedTensorFlow> {
  if (candidate === 'node') return loadNode();
  const tf = await import('@tensorflow/tfjs');
  if (candidate === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The package's .wasm binaries sit next to its Node entry point; a path prefix makes Emscripten
    // read them with fs instead of fetching them relative to a page URL.
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(entry)}/`);
  }
  const name = candidate === 'wasm' ? 'wasm' : 'cpu';
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
  return { tf, backend: name };
}

async function loadNode(): Promise<LoadedTensorFlow> {
  let imported: unknown;
  try {
    imported = await import(TFJS_NODE);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Error('not installed');
    throw error;
  }
  // tfjs-node is CommonJS: its module.exports (the ESM default) carries the whole re-exported tfjs API,
  // bound to the engine it registered the 'tensorflow' backend on.
  const namespace = imported as { default?: unknown };
  const tf = (isTf(namespace.default) ? namespace.default : imported) as TF;
  if (!isTf(tf)) throw new Error('@tensorflow/tfjs-node did not export the TensorFlow.js API');
  if (!(await tf.setBackend('tensorflow'))) throw new Error("tf.setBackend('tensorflow') returned false");
  await tf.ready();
  return { tf, backend: 'tensorflow' };
}

function isTf(value: unknown): boolean {
  return typeof (value as { setBackend?: unknown } | undefined)?.setBackend === 'function';
}

function label(candidate: BackendPreference): string {
  return candidate === 'node' ? 'tfjs-node' : candidate;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
