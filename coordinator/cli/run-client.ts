import { cryptoReady } from '../../aggregation/crypto/sodium.js';
import { CohortClient } from '../../client-sdk/cohort-client.js';
import { HEART_DISEASE_SITES, loadHeartDisease, resolveDataDir } from '../../client-sdk/datasets/index.js';
import { assignWeights, buildModel, evaluate, loadTensorFlow } from '../../client-sdk/training/index.js';
import { readKeyFile } from './keygen.js';

export interface ClientRunOptions {
  readonly coordinator: string;
  readonly keyPath: string;
  readonly dataset: string;
  readonly site: string;
  readonly dataDir?: string;
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
  const identity = await readKeyFile(options.keyPath);
  const { tf, backend } = await loadTensorFlow({ log: options.progress });
  const client = await CohortClient.connect(options.coordinator, identity);
  options.progress(`${site}: joined as member ${client.memberIndex}, ${data.train.rows} training rows`);
  const final = await client.participate(tf, data.train, {
    onTrained: (r) =>
      options.progress(
        `${site}: round ${r.round} trained on ${r.examples} rows (local accuracy ${r.accuracy.toFixed(3)})`,
      ),
    onRound: (o) =>
      o.completed || options.progress(`${site}: round ${o.round} ended early: ${o.reason ?? ''}`),
  });
  client.close();
  const model = buildModel(tf, final.spec, 0);
  assignWeights(model, final.weights);
  const result = evaluate(tf, model, data.test);
  return { site, backend, test_rows: data.test.rows, accuracy: result.accuracy, auc: result.auc };
}
