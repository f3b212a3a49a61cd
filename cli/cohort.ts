#!/usr/bin/env node
import { cryptoReady } from '../aggregation/crypto/sodium.js';
import {
  DATASET_NAMES,
  downloadDataset,
  isDatasetName,
  resolveDataDir,
} from '../client-sdk/datasets/index.js';
import { ensureMallocTuning } from '../coordinator/malloc-tuning.js';
import { flag, parseArgs, UsageError, type ParsedArgs } from './args.js';
import { runAggregate } from './aggregate.js';
import { runDemo } from './demo.js';
import { runPrivacy } from './privacy.js';
import { runSimulate } from './simulate.js';
import { writeIdentityFile } from '../client-sdk/identity.js';
import { runClient } from './run-client.js';
import { runCoordinator } from './run-coordinator.js';
import { signFederation, verifyFederation } from './federation-manifest.js';
import type { ManifestPin } from '../proto/federation-manifest.js';

const HELP: Record<string, string> = {
  '': `cohort — federated learning with secure aggregation

Usage: cohort <command> [options]

Commands:
  coordinator --config FILE      run a federation from its federation file
  client --coordinator HOST:PORT --key FILE (--operator-key HEX | --manifest-sha256 HEX)
         --dataset heart-disease --site SITE [--data-dir DIR]
                                 run a hospital member with a built-in dataset
  keygen --out FILE              make a member identity or operator key (0600) and print its public key
  federation sign --config FILE --key operator.key [--out FILE]
                                 sign the federation manifest members pin
  federation verify FILE (--operator-key HEX | --sha256 HEX) [--config FILE]
                                 check a signed manifest as a member would
  datasets download NAME [--data-dir DIR]
                                 fetch heart-disease or breast-cancer from UCI, verifying SHA-256
  demo [--rounds N] [--optimizer fedavg|fedadam] [--json] [--data-dir DIR]
                                 coordinator + four hospitals on loopback (what npm start runs)
  simulate SCENARIO [--seed S] [--out DIR] [--attack A] [--defence D] [--matrix] [--transport grpc]
                                 run a consortium scenario in process and write results and a report
  privacy --sampling-rate Q --noise-multiplier Z --steps T --delta D
                                 (epsilon, delta) of the subsampled Gaussian mechanism (RDP accountant)
  aggregate --rule RULE [--byzantine F] [--trim BETA] [--select M] [--bound M] < updates.json
                                 run one robust aggregation rule on updates given as JSON

Run 'cohort <command> --help' for a command's options.`,
  coordinator: `cohort coordinator --config federation.yaml

Serves the federation described by the file: members, model, rounds, secure-aggregation and
optimizer settings, deadlines, listen address and TLS. Resumes from the newest checkpoint in the
file's dataDir. Writes one JSON log line per event (to logging.file, else stdout) and a progress
line per round phase (members responding, elapsed) to stderr. The file's signed manifest
(manifest: FILE, from 'cohort federation sign') must describe it, or the coordinator refuses to start;
insecureNoManifest: true runs without one, for development only.`,
  client: `cohort client --coordinator HOST:PORT --key member.key (--operator-key HEX | --manifest-sha256 HEX)
              --dataset heart-disease --site SITE [--data-dir DIR]
              [--tls-ca CA.pem [--tls-cert member.crt --tls-key member.key.pem]]

The member trusts only the federation manifest signed by the operator key it is given (or the
manifest with that SHA-256): it refuses a coordinator serving any other, takes its peers' keys from
that manifest alone, and stops if the manifest changes while it takes part.

SITE is one of cleveland, hungarian, switzerland, va. The data directory is --data-dir, else
COHORT_DATA_DIR, else ~/.cache/cohort/datasets. Prints the final model's accuracy on the site's
held-out test set as one JSON line. A lost coordinator is rejoined with exponential backoff.
With --tls-ca the coordinator's certificate is verified against CA.pem; --tls-cert/--tls-key add a
client certificate for coordinators that require mTLS.`,
  keygen: `cohort keygen --out member.key

Writes a new Ed25519 identity (a 32-byte seed in hex, mode 0600; it refuses to overwrite) and prints
the public key to put under members in the federation file. The operator's signing key is made the
same way (cohort keygen --out operator.key); its public key is what members pin.`,
  federation: `cohort federation sign --config federation.yaml --key operator.key [--out FILE]
cohort federation verify FILE (--operator-key HEX | --sha256 HEX) [--config federation.yaml]

sign: builds the federation manifest from the file (members and keys, threat model, privacy,
aggregation mode, rounds, SHA-256 of the model spec), signs it with the operator key and writes it
to --out, else the file's manifest: path, else NAME.manifest.json next to the file. It never
overwrites. Prints the manifest's sha256, the operator key and a summary; give members either.
verify: checks FILE against the pinned operator key or manifest sha256 as a member does, prints the
same summary, and with --config checks that it describes that federation file. A failure exits 1
naming what failed.`,
  datasets: `cohort datasets download heart-disease|breast-cancer [--data-dir DIR]

Downloads the UCI files and verifies each against its SHA-256 before writing it.`,
  demo: `cohort demo [--rounds 15] [--optimizer fedavg|fedadam] [--json] [--data-dir DIR]

Starts a coordinator and the four Fed-Heart-Disease hospitals as separate processes on loopback,
trains logistic regression with secure aggregation, and reports each hospital's test accuracy.
FedAvg is the default: with FLamby's member training it matches FedAdam on average and varies less
(npm run bench:heart).`,
  privacy: `cohort privacy --sampling-rate Q --noise-multiplier Z --steps T --delta D [--conversion tight|classic]

Prints one JSON object with epsilon and the Rényi order that gave it, for T steps of the Gaussian
mechanism with noise multiplier Z on members sampled with probability Q (Poisson sampling). RDP
(Mironov et al. 2019) over the order grid 1.25 … 512, converted with the tighter bound of Balle et al.
2020 / Canonne, Kamath and Steinke 2020 (--conversion classic: epsilon = rdp + log(1/delta)/(alpha-1)).`,
  simulate: `cohort simulate SCENARIO [--seed S] [--out DIR] [--attack A] [--defence D] [--matrix] [--data-dir DIR]

SCENARIO is a scenario file or a built-in name: heart-disease, breast-cancer, large-consortium.
Runs the scenario in process (the real secure-aggregation protocol, robust rules and privacy
accounting, no sockets), its defence or --defence D against its attack or --attack A, and every other
defence of the scenario alongside unless --defence is given. Writes results.json and report.html to
--out (default simulation-results/NAME); --matrix also runs every attack against every defence and
writes matrix.json and matrix.md. The same scenario and seed give byte-identical results.json.
--transport grpc runs the real coordinator and one SDK client per site over loopback gRPC instead
(slower; the coordinator's own selection and deadlines, so not bit-for-bit reproducible).`,
  aggregate: `cohort aggregate --rule median|trimmed-mean|krum|multi-krum|bulyan|geomed|cclip|fedavg|norm-bound
                [--byzantine F] [--trim BETA] [--select M] [--bound M] < updates.json

Reads {"updates": [[...], ...], "weights": [...]} (weights optional: example counts) from stdin and
prints {"rule", "result", "selected", "influence"}: the aggregate and which updates it kept.`,
};

async function main(args: ParsedArgs): Promise<void> {
  const [command = '', ...rest] = args.words;
  if (args.flags.has('help') || command === 'help' || command === '') {
    console.log(HELP[command === 'help' ? (rest[0] ?? '') : command] ?? HELP['']);
    return;
  }
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  switch (command) {
    case 'keygen': {
      await cryptoReady();
      const pair = await writeIdentityFile(flag(args, 'out'));
      console.log(Buffer.from(pair.publicKey).toString('hex'));
      return;
    }
    case 'federation': {
      const lines =
        rest[0] === 'sign'
          ? await signFederation({
              config: flag(args, 'config'),
              key: flag(args, 'key'),
              ...(typeof args.flags.get('out') === 'string' ? { out: flag(args, 'out') } : {}),
            })
          : rest[0] === 'verify' && rest[1] !== undefined
            ? await verifyFederation({
                file: rest[1],
                pin: pinFlags(args, 'sha256'),
                ...(typeof args.flags.get('config') === 'string' ? { config: flag(args, 'config') } : {}),
              })
            : usage("expected 'federation sign --config FILE --key FILE' or 'federation verify FILE ...'");
      for (const line of lines) console.log(line);
      return;
    }
    case 'coordinator':
      await ensureMallocTuning();
      return runCoordinator(flag(args, 'config'), {
        stdout: (line) => void process.stdout.write(line),
        progress,
      });
    case 'client': {
      const dataDir = args.flags.get('data-dir');
      const result = await runClient({
        coordinator: flag(args, 'coordinator'),
        keyPath: flag(args, 'key'),
        trust: pinFlags(args, 'manifest-sha256'),
        dataset: flag(args, 'dataset'),
        site: flag(args, 'site'),
        ...(typeof dataDir === 'string' ? { dataDir } : {}),
        ...tlsFlags(args),
        progress,
      });
      console.log(JSON.stringify(result));
      return;
    }
    case 'datasets': {
      const name = rest[1] ?? '';
      if (rest[0] !== 'download' || !isDatasetName(name))
        throw new UsageError(`expected 'datasets download ${DATASET_NAMES.join('|')}'`);
      const dir = resolveDataDir(
        typeof args.flags.get('data-dir') === 'string' ? (args.flags.get('data-dir') as string) : undefined,
      );
      const { files } = await downloadDataset(name, dir, {
        onProgress: (file, done, total) => progress(`${done}/${total} ${file}`),
      });
      console.log(JSON.stringify({ dataset: name, dir, files }));
      return;
    }
    case 'demo': {
      await cryptoReady();
      const rounds = Number(flag(args, 'rounds', '15'));
      const optimizer = flag(args, 'optimizer', 'fedavg');
      if (!Number.isInteger(rounds) || rounds < 1)
        throw new UsageError(`--rounds: expected a positive integer, got ${rounds}`);
      if (optimizer !== 'fedadam' && optimizer !== 'fedavg')
        throw new UsageError(`--optimizer: expected fedadam or fedavg, got ${optimizer}`);
      const dataDir = args.flags.get('data-dir');
      const result = await runDemo({
        rounds,
        optimizer,
        progress,
        ...(typeof dataDir === 'string' ? { dataDir } : {}),
      });
      if (args.flags.has('json')) console.log(JSON.stringify(result));
      else {
        console.log(`\nFed-Heart-Disease, ${rounds} rounds, secure aggregation, ${optimizer}:`);
        for (const [site, accuracy] of Object.entries(result.per_hospital))
          console.log(`  ${site.padEnd(12)} test accuracy ${accuracy.toFixed(3)}`);
        console.log(
          `  ${'mean'.padEnd(12)} test accuracy ${result.mean_test_accuracy.toFixed(3)}   (${(result.elapsed_ms / 1000).toFixed(1)} s)`,
        );
      }
      return;
    }
    case 'simulate': {
      const scenario = rest[0];
      if (scenario === undefined) throw new UsageError('expected a scenario: cohort simulate SCENARIO');
      const text = (name: string) => {
        const value = args.flags.get(name);
        return typeof value === 'string' ? { [name]: value } : {};
      };
      const seed = args.flags.get('seed');
      if (seed !== undefined && !(typeof seed === 'string' && /^\d+$/.test(seed)))
        throw new UsageError(`--seed: expected a non-negative integer, got ${String(seed)}`);
      const transport = flag(args, 'transport', 'in-process');
      if (transport !== 'in-process' && transport !== 'grpc')
        throw new UsageError(`--transport: expected in-process or grpc, got ${transport}`);
      const summary = await runSimulate({
        scenario,
        transport,
        matrix: args.flags.has('matrix'),
        ...(typeof seed === 'string' ? { seed: Number(seed) } : {}),
        ...text('out'),
        ...text('attack'),
        ...text('defence'),
        ...(typeof args.flags.get('data-dir') === 'string'
          ? { dataDir: args.flags.get('data-dir') as string }
          : {}),
      });
      console.log(JSON.stringify(summary));
      return;
    }
    case 'privacy': {
      const number = (name: string) => {
        const value = Number(flag(args, name));
        if (!Number.isFinite(value))
          throw new UsageError(`--${name}: expected a number, got ${flag(args, name)}`);
        return value;
      };
      const conversion = flag(args, 'conversion', 'tight');
      if (conversion !== 'tight' && conversion !== 'classic')
        throw new UsageError(`--conversion: expected tight or classic, got ${conversion}`);
      const report = runPrivacy({
        samplingRate: number('sampling-rate'),
        noiseMultiplier: number('noise-multiplier'),
        steps: number('steps'),
        delta: number('delta'),
        conversion,
      });
      console.log(JSON.stringify(report));
      return;
    }
    case 'aggregate': {
      const optional = (name: string) => {
        const value = args.flags.get(name);
        if (value === undefined) return {};
        const parsed = Number(value);
        if (typeof value !== 'string' || !Number.isFinite(parsed))
          throw new UsageError(`--${name}: expected a number, got ${String(value)}`);
        return { [name]: parsed };
      };
      const input = await readStdin();
      console.log(
        runAggregate(
          {
            rule: flag(args, 'rule'),
            ...optional('byzantine'),
            ...optional('trim'),
            ...optional('select'),
            ...optional('bound'),
          },
          input,
        ),
      );
      return;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function usage(message: string): never {
  throw new UsageError(message);
}

/** --operator-key HEX or the manifest hash flag (`hashFlag`), exactly one: what a member pins. */
function pinFlags(args: ParsedArgs, hashFlag: string): ManifestPin {
  const key = args.flags.get('operator-key');
  const hash = args.flags.get(hashFlag);
  if ((key === undefined) === (hash === undefined))
    throw new UsageError(`expected exactly one of --operator-key HEX and --${hashFlag} HEX`);
  const [name, value] = key === undefined ? [hashFlag, hash] : ['operator-key', key];
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/i.test(value))
    throw new UsageError(`--${name}: expected 64 hex characters, got ${String(value)}`);
  const bytes = new Uint8Array(Buffer.from(value, 'hex'));
  return key === undefined ? { manifestSha256: bytes } : { operatorKey: bytes };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('expected the updates as JSON on standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** --tls-ca, --tls-cert, --tls-key: any of them turns TLS on. */
function tlsFlags(args: ParsedArgs): { tls?: { ca?: string; cert?: string; key?: string } } {
  const files = Object.fromEntries(
    (['ca', 'cert', 'key'] as const).flatMap((k) => {
      const value = args.flags.get(`tls-${k}`);
      return typeof value === 'string' ? [[k, value]] : [];
    }),
  );
  return Object.keys(files).length === 0 ? {} : { tls: files };
}

main(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
  const usage = error instanceof UsageError;
  console.error(
    `cohort: ${error instanceof Error ? error.message : String(error)}${usage ? "\nRun 'cohort --help'." : ''}`,
  );
  process.exit(usage ? 2 : 1);
});
