/**
 * The members' side of bench:grpc, in a process of its own (as in a deployment, where no member
 * shares the coordinator's event loop): connects every member, opens its inbox, prints "ready", and
 * takes part in rounds until its standard input closes. Also the member host of the multi-process
 * tests: `--first I` numbers the members from I, `--delay-ms M` holds every pushed event M ms (in
 * order) so a test can kill the process inside a chosen protocol phase.
 *   node dist/bench/grpc-members.js --address 127.0.0.1:PORT --clients N --dim D --manifest-sha256 HEX
 *        [--first 1] [--delay-ms 0]
 */
import { seededRandom, seedFromNumber, signingKeyPairFromSeed } from '../aggregation/index.js';
import { cryptoReady } from '../aggregation/crypto/sodium.js';
import { CohortConnection, type WireCoordinatorEvent } from '../client-sdk/connection.js';
import { SecureRoundRunner } from '../client-sdk/secure-round-runner.js';
import { ensureMallocTuning } from '../coordinator/malloc-tuning.js';
import { argNumber, argString } from './args.js';
import { benchInput } from './grpc-input.js';

await ensureMallocTuning();
await cryptoReady();
const address = argString('--address', '');
const clients = argNumber('--clients', 50);
const dimension = argNumber('--dim', 1_000_000);
const first = argNumber('--first', 1);
const delayMs = argNumber('--delay-ms', 0);
const trust = { manifestSha256: new Uint8Array(Buffer.from(argString('--manifest-sha256', ''), 'hex')) };

const connections = await Promise.all(
  Array.from({ length: clients }, async (_, i) => {
    const id = first + i;
    const identity = signingKeyPairFromSeed(seedFromNumber(id));
    const connection = await CohortConnection.connect(address, identity, trust);
    const runner = new SecureRoundRunner(
      connection,
      identity,
      seededRandom(seedFromNumber(500 + id)),
      () => () => benchInput(id, dimension),
      () => undefined,
    );
    const onEvent =
      delayMs === 0
        ? runner.onEvent
        : (e: WireCoordinatorEvent) => setTimeout(() => runner.onEvent(e), delayMs);
    await connection.subscribe(onEvent, () => undefined);
    return connection;
  }),
);
console.log('ready');
process.stdin.resume();
process.stdin.on('end', () => {
  for (const c of connections) c.close();
  process.exit(0);
});
