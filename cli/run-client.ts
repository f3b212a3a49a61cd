import { readFile } from 'node:fs/promises';
import { cryptoReady } from '../aggregation/crypto/sodium.js';
import { CohortClient, type ClientEvent, type TlsOptions } from '../client-sdk/cohort-client.js';
import { HEART_DISEASE_SITES, loadHeartDisease, resolveDataDir } from '../client-sdk/datasets/index.js';
import { readIdentityFile } from '../client-sdk/identity.js';
import type { ManifestPin } from '../proto/federation-manifest.js';
import { assignWeights, buildModelFromSpec, evaluate, loadTensorFlow } from '../client-sdk/training/index.js';

export interface ClientRunOptions {
  readonly coordinator: string;
  readonly keyPath: string;
  /** The operator key or manifest hash the member pins (--operator-key / --manifest-sha256). */
  readonly trust: ManifestPin;
  readonly dataset: string;
  readonly site: string;
  readonly dataDir?: string;
  /** PEM files: the CA that signed the coordinator's certificate, and optionally this member's own pair. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly progress: (line: string) => void;
}

/**
 * `cohort client`: a hospital member with a built-in dataset. Trains every round it is picked for,
 * then evaluates the final global model on its own held-out test set — the data never leaves — and
 * returns the result (the CLI prints it as one JSON line).
 */
export async function runClient(options: ClientRunOptions): Promise<Record<string, unknown>> {
  await cryptoReady();
  if (options.dataset !== 'heart-disease')
    throw new Error(`--dataset: expected heart-disease, got ${options.dataset}`);
  const site = HEART_DISEASE_SITES.find((s) => s === options.site);
  if (site === undefined)
    throw new Error(`--site: expected one of ${HEART_DISEASE_SITES.join(', ')}, got ${options.site}`);
  const data = loadHeartDisease(resolveDataDir(options.dataDir), site);
  const identity = await readIdentityFile(options.keyPath);
  const { tf, backend } = await loadTensorFlow({ log: options.progress });
  const tls = options.tls === undefined ? undefined : await readTls(options.tls);
  const client = await CohortClient.connect(options.coordinator, identity, {
    trust: options.trust,
    ...(tls === undefined ? {} : { tls }),
    // Next to the key: the member's round ids and privacy accountant belong to that identity.
    stateDir: `${options.keyPath}.state`,
    onEvent: (event) => {
      const line = describeEvent(site, event);
      if (line !== undefined) options.progress(line);
    },
  });
  options.progress(`${site}: ${data.train.rows} training rows`);
  const final = await client.participate(tf, data.train);
  client.close();
  const model = await buildModelFromSpec(tf, final.spec, 0);
  assignWeights(model, final.weights);
  const result = evaluate(tf, model, data.test);
  return { site, backend, test_rows: data.test.rows, accuracy: result.accuracy, auc: result.auc };
}

async function readTls(files: NonNullable<ClientRunOptions['tls']>): Promise<TlsOptions> {
  const read = async (path: string | undefined) => (path === undefined ? undefined : await readFile(path));
  const [ca, cert, key] = await Promise.all([read(files.ca), read(files.cert), read(files.key)]);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

function describeEvent(site: string, event: ClientEvent): string | undefined {
  switch (event.type) {
    case 'connected':
      return `${site}: joined ${event.federation} as member ${event.member}`;
    case 'trained':
      return `${site}: round ${event.round} trained on ${event.examples} rows (local accuracy ${(event.metrics['accuracy'] ?? NaN).toFixed(3)})`;
    case 'round-ended':
      return event.completed ? undefined : `${site}: round ${event.round} ended early: ${event.reason ?? ''}`;
    case 'privacy-budget-exhausted':
      return `${site}: privacy budget spent (epsilon ${event.epsilon.toFixed(2)} > ${event.budget.epsilon} at delta ${event.delta}); taking part in no further round`;
    case 'disconnected':
      return `${site}: lost the coordinator (${event.reason}); reconnecting`;
    case 'reconnecting':
      return event.attempt % 10 === 1
        ? `${site}: coordinator unreachable, retry ${event.attempt} in ${event.delayMs} ms`
        : undefined;
    default:
      return undefined;
  }
}
