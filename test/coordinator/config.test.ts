import assert from 'node:assert/strict';
import { cryptoReady, seedFromNumber, signingKeyPairFromSeed } from '../../aggregation/index.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDocument, stringify } from 'yaml';
import { deriveParameters } from '../../aggregation/secagg/parameters.js';
import {
  ConfigError,
  decodePublicKey,
  loadFederationConfig,
  parseFederationConfig,
  resolveSecAggParameters,
  splitListen,
  type ConfigProblem,
} from '../../coordinator/config/index.js';

// The compiled test runs from dist/test/coordinator/; the example lives in the source tree.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const examplePath = join(repoRoot, 'coordinator/config/example-federation.yaml');
let exampleText = '';
before(async () => {
  exampleText = await readFile(examplePath, 'utf8');
});

const KEY_HEX = '5c5ac10d7cfc5fe53e354a3b49111cee6a4561e86727d0876a9e8702df69c734';
const KEY_B64 = Buffer.from(KEY_HEX, 'hex').toString('base64');
const OTHER_KEYS = ['01', '02', '03', '04'].map((b) => b.repeat(32));

/** Changes by dotted path ('members.3.name'); undefined deletes. Plain data, so no casts are needed. */
type Changes = Readonly<Record<string, unknown>>;

/** The example with `changes` applied to its YAML document, so the rest of the file (and its lines) stay. */
function example(changes: Changes = {}): string {
  const doc = parseDocument(exampleText);
  for (const [dotted, value] of Object.entries(changes)) {
    const path = dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, doc.createNode(value));
  }
  return doc.toString();
}

function minimal(changes: Changes = {}): string {
  return stringify({
    name: 'tiny',
    model: { kind: 'logistic-regression', inputs: 3 },
    rounds: 1,
    // Four, because with three any positive expected dropout leaves no safe threshold (see below), and
    // a round may start with any size from minimumClients to clientsPerRound.
    clientsPerRound: 4,
    minimumClients: 4,
    members: ['a', 'b', 'c', 'd'].map((name, i) => ({ name, publicKey: OTHER_KEYS[i] })),
    ...changes,
  });
}

function errorOf(text: string, source = 'test.yaml'): ConfigError {
  try {
    parseFederationConfig(text, source);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the file to be refused');
}

const problemsOf = (text: string): readonly ConfigProblem[] => errorOf(text).problems;

describe('parseFederationConfig: valid files', () => {
  test('the example parses, with defaults for what it leaves out', () => {
    const config = parseFederationConfig(exampleText);
    assert.equal(config.name, 'sepsis-early-warning');
    assert.deepEqual(config.model, {
      kind: 'mlp',
      inputs: 24,
      hidden: [32, 16],
      outputs: 1,
      activation: 'relu',
    });
    assert.equal(config.deadlines.training, 300_000);
    assert.equal(config.deadlines.unmasking, 10_000);
    assert.deepEqual(config.secureAggregation.quantization, { clipRange: 1, levels: 65537 });
    assert.equal(config.secureAggregation.maskPrg, 'aes256ctr');
    assert.deepEqual(config.aggregation, { mode: 'secure' });
    assert.deepEqual(config.privacy, { mode: 'none' });
    assert.deepEqual(config.serverOptimizer, {
      kind: 'fedadam',
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.99,
      tau: 1e-3,
    });
    assert.deepEqual(config.training, {
      epochs: 2,
      steps: 0,
      batchSize: 64,
      learningRate: 0.05,
      clipNorm: 1,
      exampleCap: 1000,
      clipping: { kind: 'fixed' },
    });
    assert.equal(config.dataDir, './cohort-data');
    assert.equal(config.tls, undefined);
    assert.equal(config.members.length, 4);
  });

  test('a minimal file gets every default', () => {
    const config = parseFederationConfig(minimal());
    assert.deepEqual(config.deadlines, {
      advertiseKeys: 10_000,
      graphNonce: 10_000,
      shareKeys: 10_000,
      shareCheck: 10_000,
      maskedInput: 10_000,
      consistencyCheck: 10_000,
      unmasking: 10_000,
      training: 120_000,
    });
    assert.deepEqual(config.secureAggregation, {
      expectedDropout: 0.1,
      corruptFraction: 0,
      quantization: { clipRange: 1, levels: 65537 },
      maskPrg: 'aes256ctr',
      quarantineRounds: 10,
    });
    assert.equal(config.manifest, undefined);
    assert.equal(config.insecureNoManifest, false);
    assert.deepEqual(config.serverOptimizer, { kind: 'fedavg', learningRate: 1 });
    assert.deepEqual(config.training, {
      epochs: 1,
      steps: 0,
      batchSize: 32,
      learningRate: 0.05,
      clipNorm: 1,
      exampleCap: 1000,
      clipping: { kind: 'fixed' },
    });
    assert.equal(config.listen, '127.0.0.1:50051');
    assert.deepEqual(config.logging, { level: 'info' });
  });

  test('local steps replace epochs: the plan then carries epochs 0', () => {
    const config = parseFederationConfig(example({ 'training.epochs': undefined, 'training.steps': 100 }));
    assert.equal(config.training.steps, 100);
    assert.equal(config.training.epochs, 0);
  });

  test('tfjs-layers models, fedyogi and TLS parse as written', () => {
    const config = parseFederationConfig(
      minimal({
        model: { kind: 'tfjs-layers', path: './model/model.json' },
        serverOptimizer: { kind: 'fedyogi', beta1: 0.5 },
        tls: { cert: 'server.crt', key: 'server.key', clientCa: 'ca.crt' },
      }),
    );
    assert.deepEqual(config.model, { kind: 'tfjs-layers', path: './model/model.json' });
    assert.deepEqual(config.serverOptimizer, {
      kind: 'fedyogi',
      learningRate: 0.01,
      beta1: 0.5,
      beta2: 0.99,
      tau: 1e-3,
    });
    assert.deepEqual(config.tls, { cert: 'server.crt', key: 'server.key', clientCa: 'ca.crt' });
  });

  test('resolveSecAggParameters derives k and t from the threat model, or takes the configured pair', () => {
    const derived = resolveSecAggParameters(parseFederationConfig(exampleText));
    const expected = deriveParameters({ clients: 4, dropoutRate: 0.1, corruptFraction: 0 });
    assert.deepEqual(derived, { clients: 4, degree: expected.degree, threshold: expected.threshold });
    const explicit = parseFederationConfig(
      example({ 'secureAggregation.degree': 2, 'secureAggregation.threshold': 2 }),
    );
    assert.deepEqual(resolveSecAggParameters(explicit), { clients: 4, degree: 2, threshold: 2 });
  });

  test('k and t are sized as members size them: every corrupt member of the federation may be in a round', async () => {
    await cryptoReady();
    // 20 members with γ = 0.2 is 4 colluders, all of whom a coordinator may put into a round of 4:
    // per round share (⌊0.2·4⌋ = 0) the file would pass, but no k, t protects a member then.
    const members = Array.from({ length: 20 }, (_, i) => {
      const key = Buffer.from(signingKeyPairFromSeed(seedFromNumber(500 + i)).publicKey).toString('hex');
      return `  - { name: h${i}, publicKey: ${key} }`;
    }).join('\n');
    const text = (gamma: number) => `
name: sizing
model: { kind: logistic-regression, inputs: 3 }
rounds: 1
clientsPerRound: 4
minimumClients: 4
secureAggregation: { corruptFraction: ${gamma}, expectedDropout: 0 }
members:
${members}
`;
    assert.throws(
      () => parseFederationConfig(text(0.2)),
      (e) => e instanceof ConfigError && e.problems.some((p) => p.path.startsWith('secureAggregation')),
    );
    assert.doesNotThrow(() => parseFederationConfig(text(0)));
  });

  test('resolveSecAggParameters refuses a hand-built config with unsafe parameters', () => {
    const config = parseFederationConfig(exampleText);
    const unsafe = { ...config, secureAggregation: { ...config.secureAggregation, degree: 3, threshold: 1 } };
    assert.throws(
      () => resolveSecAggParameters(unsafe),
      (e) => e instanceof ConfigError && e.problems[0]?.path === 'secureAggregation.threshold',
    );
  });

  test('hex and base64 spellings of a key decode to the same 32 bytes; listen splits host and port', () => {
    assert.deepEqual(decodePublicKey(KEY_B64), decodePublicKey(KEY_HEX));
    assert.equal(decodePublicKey(KEY_HEX)?.length, 32);
    assert.equal(decodePublicKey(KEY_HEX.slice(2)), undefined);
    assert.deepEqual(splitListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(splitListen('example.org:65535'), { host: 'example.org', port: 65535 });
    assert.equal(splitListen('example.org:65536'), undefined);
  });

  test('three clients are only feasible with no expected dropout', () => {
    const three = (expectedDropout: number) =>
      minimal({ clientsPerRound: 3, minimumClients: 3, secureAggregation: { expectedDropout } });
    assert.deepEqual(resolveSecAggParameters(parseFederationConfig(three(0))), {
      clients: 3,
      degree: 2,
      threshold: 2,
    });
    assert.deepEqual(
      problemsOf(three(0.01)).map((p) => p.path),
      ['secureAggregation'],
    );
  });

  test('in robust mode the secure-aggregation parameters are not checked', () => {
    const unsafe = {
      'secureAggregation.expectedDropout': 0.9,
      'secureAggregation.corruptFraction': 0.5,
    };
    const robust = example({ ...unsafe, aggregation: { mode: 'robust', rule: { rule: 'median' } } });
    assert.equal(parseFederationConfig(robust).aggregation.mode, 'robust');
    assert.deepEqual(
      problemsOf(example(unsafe)).map((p) => p.path),
      ['secureAggregation'],
    );
  });

  test('a robust rule must fit the updates, or buckets, a round is guaranteed', () => {
    // clientsPerRound 4, minimumClients 3; no expected dropout, so buckets of 3 have safe k and t.
    const krum = (mode: string, extra: Record<string, unknown> = {}) =>
      example({
        minimumClients: 3,
        'secureAggregation.expectedDropout': 0,
        aggregation: { mode, rule: { rule: 'krum', byzantine: 1 }, ...extra },
      });
    assert.match(
      problemsOf(krum('robust'))[0]!.message,
      /krum needs at least 5 updates, but a round may start with minimumClients 3/,
    );
    const enough = example({ minimumClients: 4, aggregation: { mode: 'robust', rule: { rule: 'median' } } });
    assert.equal(parseFederationConfig(enough).aggregation.rule?.rule, 'median');
    const buckets = parseFederationConfig(
      example({
        minimumClients: 3,
        'secureAggregation.expectedDropout': 0,
        aggregation: { mode: 'secure+robust', rule: { rule: 'median' }, bucketSize: 3 },
      }),
    );
    assert.equal(buckets.aggregation.bucketSize, 3);
    const tooFew = problemsOf(krum('secure+robust', { bucketSize: 3 }));
    assert.deepEqual(
      tooFew.map((p) => p.path),
      ['aggregation.rule'],
    );
    assert.match(
      tooFew[0]!.message,
      /needs at least 5 buckets, but minimumClients 3 with bucketSize 3 guarantees 1/,
    );
    assert.deepEqual(
      problemsOf(
        example({ aggregation: { mode: 'secure+robust', rule: { rule: 'median' }, bucketSize: 5 } }),
      ).map((p) => p.path),
      ['aggregation.bucketSize'],
    );
  });

  test('a round size the coordinator may start with no safe k and t refuses the file (issue 12)', () => {
    // The reported federation: 4 members, clientsPerRound 4, minimumClients 3, δ = 0.1. Rounds of 4 are
    // fine, but a round started with 3 connected has no safe threshold and would abort, every round.
    const reported = minimal({ minimumClients: 3, secureAggregation: { expectedDropout: 0.1 } });
    const problems = problemsOf(reported);
    assert.deepEqual(
      problems.map((p) => p.path),
      ['minimumClients'],
    );
    const message = problems[0]!.message;
    assert.match(message, /a round may start with 3 members \(minimumClients 3, clientsPerRound 4\)/);
    assert.match(message, /expectedDropout 0\.1, corruptFraction 0, 4 members/);
    assert.match(message, /n = 3: no secure-aggregation parameters for clients=3/);
    assert.match(message, /raise minimumClients to 4, or lower expectedDropout/);
    // Either fix the message names is accepted.
    assert.equal(parseFederationConfig(minimal({ minimumClients: 4 })).minimumClients, 4);
    assert.equal(
      parseFederationConfig(minimal({ minimumClients: 3, secureAggregation: { expectedDropout: 0 } }))
        .minimumClients,
      3,
    );
  });

  test('a federation safe at every round size it may start is accepted', () => {
    // 8 members, rounds of 5 to 8 with δ = 0.1 and γ = 0.1: each size has its own k and t.
    const eight = Array.from({ length: 8 }, (_, i) => ({
      name: `h${i}`,
      publicKey: (i + 16).toString(16).padStart(2, '0').repeat(32),
    }));
    const text = minimal({
      members: eight,
      clientsPerRound: 8,
      minimumClients: 5,
      secureAggregation: { expectedDropout: 0.1, corruptFraction: 0.1 },
    });
    const config = parseFederationConfig(text);
    assert.equal(config.minimumClients, 5);
    assert.equal(resolveSecAggParameters(config).clients, 8);
  });

  test('secure+robust: every bucket size a round may deal must have safe k and t; robust mode is exempt', () => {
    const six = Array.from({ length: 6 }, (_, i) => ({
      name: `h${i}`,
      publicKey: (i + 32).toString(16).padStart(2, '0').repeat(32),
    }));
    // Buckets of 3 (bucketSize) up to 5 (2·3 − 1): 3 has no safe threshold with δ = 0.1.
    const bucketed = (bucketSize: number, mode = 'secure+robust') =>
      minimal({
        members: six,
        clientsPerRound: 6,
        minimumClients: 6,
        secureAggregation: { expectedDropout: 0.1 },
        aggregation: { mode, rule: { rule: 'median' }, ...(mode === 'robust' ? {} : { bucketSize }) },
      });
    const problems = problemsOf(bucketed(3));
    assert.deepEqual(
      problems.map((p) => p.path),
      ['aggregation.bucketSize'],
    );
    assert.match(problems[0]!.message, /buckets of 3 members .* raise bucketSize to 4 or more/);
    assert.equal(parseFederationConfig(bucketed(4)).aggregation.bucketSize, 4);
    assert.equal(parseFederationConfig(bucketed(3, 'robust')).aggregation.mode, 'robust');
  });

  test('aggregation and privacy sections name what is missing or misplaced', () => {
    const paths = (changes: Changes) => problemsOf(example(changes)).map((p) => p.path);
    assert.deepEqual(paths({ aggregation: { mode: 'robust' } }), ['aggregation.rule']);
    assert.deepEqual(paths({ aggregation: { mode: 'secure', rule: { rule: 'median' } } }), [
      'aggregation.rule',
    ]);
    assert.deepEqual(paths({ aggregation: { mode: 'secure+robust', rule: { rule: 'median' } } }), [
      'aggregation.bucketSize',
    ]);
    assert.deepEqual(paths({ aggregation: { mode: 'robust', rule: { rule: 'trimmed-mean', trim: 0.5 } } }), [
      'aggregation.rule.trim',
    ]);
    assert.deepEqual(paths({ privacy: { mode: 'central' } }), ['privacy.noiseMultiplier']);
    assert.deepEqual(
      paths({ privacy: { mode: 'central', noiseMultiplier: 1, budget: { epsilon: 1, delta: 1 } } }),
      ['privacy.budget.delta'],
    );
    assert.deepEqual(
      paths({
        aggregation: { mode: 'robust', rule: { rule: 'median' } },
        privacy: { mode: 'distributed', noiseMultiplier: 1 },
      }),
      ['privacy.mode'],
    );
    assert.deepEqual(
      paths({
        aggregation: { mode: 'robust', rule: { rule: 'median' } },
        privacy: { mode: 'central', noiseMultiplier: 1 },
      }),
      ['privacy.mode'],
    );
    assert.deepEqual(
      paths({
        'training.clipping': { kind: 'adaptive' },
        privacy: { mode: 'distributed', noiseMultiplier: 1 },
      }),
      ['training.clipping.kind'],
    );
    const bits = problemsOf(
      example({
        'training.clipping': { kind: 'adaptive', bitNoiseStddev: 0.4 },
        privacy: { mode: 'central', noiseMultiplier: 1 },
      }),
    );
    assert.deepEqual(
      bits.map((p) => p.path),
      ['training.clipping.bitNoiseStddev'],
    );
    assert.match(bits[0]!.message, /more than noiseMultiplier \/ 2 = 0\.5/);
  });
});

// [what is wrong, edit to the example, the paths of the problems expected, pattern one message matches]
// prettier-ignore
const invalid: [string, Changes, string[], RegExp][] = [
  ['unknown top-level key', { colour: 'red' }, ['colour'], /^unknown key$/],
  ['unknown nested key', { 'secureAggregation.quantization.step': 3 }, ['secureAggregation.quantization.step'], /^unknown key$/],
  ['unknown key in a member', { 'members.1.role': 'x' }, ['members[1].role'], /^unknown key$/],
  ['unknown key in a model kind', { 'model.dropout': 0.5 }, ['model.dropout'], /^unknown key$/],
  ['missing field', { rounds: undefined }, ['rounds'], /^missing: expected an integer >= 1$/],
  ['string for an integer', { rounds: 'ten' }, ['rounds'], /^expected an integer >= 1, got "ten"$/],
  ['unknown aggregation mode', { 'aggregation.mode': 'federated' }, ['aggregation.mode'], /"secure", "robust", "secure\+robust", got "federated"/],
  ['empty section', { tls: null }, ['tls'], /^expected a mapping, got an empty value$/],
  ['unknown model kind', { 'model.kind': 'cnn' }, ['model.kind'], /one of .*"mlp".*got "cnn"/],
  ['unknown activation', { 'model.activation': 'gelu' }, ['model.activation'], /"relu", "tanh", got "gelu"/],
  ['no hidden layers', { 'model.hidden': [] }, ['model.hidden'], /1 to 8 hidden layers/],
  ['nine hidden layers', { 'model.hidden': Array<number>(9).fill(4) }, ['model.hidden'], /1 to 8/],
  ['zero-width layer', { 'model.hidden': [8, 0] }, ['model.hidden[1]'], /got 0$/],
  ['fractional levels', { 'secureAggregation.quantization.levels': 2.5 }, ['secureAggregation.quantization.levels'], /^expected an integer >= 2, got 2\.5$/],
  ['dropout of 1', { 'secureAggregation.expectedDropout': 1 }, ['secureAggregation.expectedDropout'], /\[0, 1\), got 1$/],
  ['short deadline', { 'deadlines.shareKeys': 50 }, ['deadlines.shareKeys'], />= 100 \(milliseconds\), got 50/],
  ['epochs and steps both', { 'training.steps': 100 }, ['training.steps'], /^expected either epochs or steps, not both, got 100$/],
  ['zero steps', { 'training.epochs': undefined, 'training.steps': 0 }, ['training.steps'], /^expected an integer >= 1, got 0$/],
  ['zero learning rate', { 'training.learningRate': 0 }, ['training.learningRate'], /> 0, got 0/],
  ['beta2 of 1', { 'serverOptimizer.beta2': 1 }, ['serverOptimizer.beta2'], /got 1$/],
  ['unknown mask PRG', { 'secureAggregation.maskPrg': 'rc4' }, ['secureAggregation.maskPrg'], /"aes256ctr", "chacha20"/],
  ['port above 65535', { listen: '0.0.0.0:70000' }, ['listen'], /0-65535, got "0.0.0.0:70000"/],
  ['listen without a port', { listen: 'localhost' }, ['listen'], /host:port/],
  ['short hex key', { 'members.2.publicKey': KEY_HEX.slice(2) }, ['members[2].publicKey'], /64 hex characters \(32 bytes\), got 62/],
  ['base64 key of 33 bytes', { 'members.1.publicKey': 'Q'.repeat(44) }, ['members[1].publicKey'], /exactly 32 bytes, got 33 bytes/],
  ['bad member name', { 'members.0.name': '-st-marys' }, ['members[0].name'], /starting with a letter/],
  ['duplicate member names', { 'members.3.name': 'St-Marys' }, ['members[3].name'], /unique name \(members\[0\]/],
  ['duplicate keys, hex and base64', { 'members.3.publicKey': KEY_B64 }, ['members[3].publicKey'], /unique publicKey \(members\[0\]/],
  ['too few members', { 'members.3': undefined, 'members.2': undefined }, ['clientsPerRound', 'members'], /at least 3 members/],
  ['degree without threshold', { 'secureAggregation.degree': 3 }, ['secureAggregation.threshold'], /when degree is given/],
  ['threshold without degree', { 'secureAggregation.threshold': 2 }, ['secureAggregation.degree'], /when threshold is given/],
  ['threshold <= degree/2', { 'secureAggregation.degree': 3, 'secureAggregation.threshold': 1 }, ['secureAggregation.threshold'], /^expected 2 <= t <= 3 .*got 1/],
  ['degree too large', { 'secureAggregation.degree': 4, 'secureAggregation.threshold': 3 }, ['secureAggregation.degree'], /or 3 \(complete\), got 4/],
  ['infeasible dropout and corruption', { 'secureAggregation.expectedDropout': 0.5, 'secureAggregation.corruptFraction': 0.3 }, ['secureAggregation'], /no secure-aggregation parameters for clients=4/],
  ['levels whose sum wraps', { 'secureAggregation.quantization.levels': 2 ** 31 }, ['secureAggregation.quantization.levels'], /wraps modulus 2\^32/],
  ['minimumClients > clientsPerRound', { minimumClients: 5 }, ['minimumClients'], /^expected at most clientsPerRound \(4\), got 5$/],
  ['clientsPerRound > members', { clientsPerRound: 5 }, ['clientsPerRound'], /number of members \(4\), got 5/],
];

describe('parseFederationConfig: each problem names its field', () => {
  for (const [what, changes, paths, pattern] of invalid) {
    test(what, () => {
      const problems = problemsOf(example(changes));
      assert.deepEqual(problems.map((p) => p.path).sort(), paths, JSON.stringify(problems));
      assert.ok(
        problems.some((p) => pattern.test(p.message)),
        JSON.stringify(problems),
      );
    });
  }

  test('a file that is not a mapping is one problem about the whole file', () => {
    assert.deepEqual(problemsOf('- just\n- a list\n'), [
      { path: '', message: 'expected a mapping, got a list of 2', line: 1, column: 1 },
    ]);
  });
});

describe('parseFederationConfig: reporting', () => {
  test('several problems at once are all reported, one line each, in file order', () => {
    const text = example({
      colour: 'red',
      minimumClients: 5,
      listen: 'nowhere',
      'members.3.name': 'ST-MARYS',
      'secureAggregation.quantization.levels': 2 ** 31,
      'training.epochz': 3,
    });
    const error = errorOf(text, 'many.yaml');
    assert.deepEqual(
      error.problems.map((p) => p.path),
      [
        'minimumClients',
        'secureAggregation.quantization.levels',
        'training.epochz',
        'listen',
        'members[3].name',
        'colour',
      ],
    );
    const lines = error.message.split('\n');
    assert.equal(lines.length, 6);
    assert.ok(
      lines.every((l) => /^many\.yaml:\d+:\d+: /.test(l)),
      error.message,
    );
  });

  test('a problem points at the line of the offending value', () => {
    const text = exampleText.replace('rounds: 50', 'rounds: -1');
    const line = text.split('\n').indexOf('rounds: -1') + 1;
    const [problem] = problemsOf(text);
    assert.equal(problem?.line, line);
    assert.match(String(problem?.column), /^\d+$/);
  });

  test('a YAML syntax error names its line and column', () => {
    const text = 'name: x\nmodel:\n  kind: mlp\n   inputs: 3\nrounds: 1\n';
    const error = errorOf(text, 'broken.yaml');
    assert.equal(error.problems[0]?.line, 3);
    assert.match(error.message, /^broken\.yaml:3:\d+: YAML syntax: /);
  });

  test('a key written twice is a YAML error, not a silent override', () => {
    const [problem] = problemsOf(exampleText.replace('rounds: 50', 'rounds: 50\nrounds: 5'));
    assert.match(problem?.message ?? '', /YAML syntax: Map keys must be unique/);
  });
});

describe('loadFederationConfig', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('loads a file from disk', async () => {
    const path = join(dir, 'federation.yaml');
    await writeFile(path, exampleText);
    assert.equal((await loadFederationConfig(path)).rounds, 50);
  });

  test('names the file in its errors', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, exampleText.replace('rounds: 50', 'rounds: 0'));
    await assert.rejects(
      loadFederationConfig(path),
      (e) => e instanceof ConfigError && e.message.startsWith(`${path}:`),
    );
  });

  test('a missing file is a ConfigError too', async () => {
    const path = join(dir, 'absent.yaml');
    await assert.rejects(
      loadFederationConfig(path),
      (e) => e instanceof ConfigError && /cannot read the federation file: .*ENOENT/.test(e.message),
    );
  });
});
