import type { MaskPrg } from '../crypto/mask-prg.js';
import type { RandomSource } from '../crypto/random-source.js';
import { digest } from '../crypto/kdf.js';
import type { SigningKeyPair } from '../crypto/signature.js';
import { SecAggClient } from './client/client.js';
import type { ClientId } from './graph.js';
import type { ClientMessage, Outbound } from './messages.js';
import type { SecAggParameters } from './parameters.js';
import type { CulpritRecord, SecAggAbortedError } from './reasons.js';
import type { DropRecord } from './server/context.js';
import { SecAggServer, type MaskRemover, type SecAggResult } from './server/server.js';

/**
 * Where a scripted client stops: instead of sending its message of that phase it goes silent (the
 * phase deadline drops it) or disconnects. `masked-input-partial` sends the first chunk(s) of its
 * masked input and then stops, so the server must take them back out of the sum.
 */
export type DropPoint =
  | 'advertise-keys'
  | 'graph-nonce'
  | 'share-keys'
  | 'share-check'
  | 'masked-input'
  | 'masked-input-partial'
  | 'consistency-check'
  | 'unmasking';

export interface ScriptedDrop {
  readonly at: DropPoint;
  /** Tell the server the connection is gone, rather than letting the deadline find out. */
  readonly disconnect: boolean;
}

export interface LocalRoundOptions {
  readonly sessionId: Uint8Array;
  readonly parameters: SecAggParameters;
  /** The round plan every member is shown (default: a digest of the session id). */
  readonly planDigest?: Uint8Array;
  /** C for culprit naming (default 0). */
  readonly corruptClients?: number;
  /** The smallest roster members accept (default t + 1). */
  readonly minimumRoster?: number;
  readonly dimension: number;
  readonly clients: readonly ClientId[];
  readonly identities: ReadonlyMap<ClientId, SigningKeyPair>;
  /** A client's quantized input, asked for once, when that client masks it. */
  readonly input: (id: ClientId) => Uint32Array;
  readonly random: RandomSource;
  /** A client's own randomness, when a test must reproduce its keys (default: `random`). */
  readonly randomFor?: (id: ClientId) => RandomSource | undefined;
  readonly prg: MaskPrg;
  readonly chunkWords?: number;
  readonly drops?: ReadonlyMap<ClientId, ScriptedDrop>;
  /** How the server expands and removes masks at the end (default: on this thread). */
  readonly remover?: MaskRemover;
  /** Milliseconds, to attribute compute time to each party; omit for none. */
  readonly clock?: () => number;
  /**
   * Scripts a malicious client: every message a client produces passes through here before the
   * scripted drops and the server; return it, replace it, or return several (or none).
   */
  readonly tamper?: (from: ClientId, message: ClientMessage) => ClientMessage | ClientMessage[];
}

export interface LocalRoundReport {
  readonly result: SecAggResult | undefined;
  readonly abortError: SecAggAbortedError | undefined;
  readonly dropped: ReadonlyMap<ClientId, DropRecord>;
  /** Clients the server named as proven to misbehave (also when the round aborted). */
  readonly culprits: ReadonlyMap<ClientId, CulpritRecord>;
  /** Client aborts with their reasons (an honest client aborts only if the server misbehaves). */
  readonly clientAborts: ReadonlyMap<ClientId, string>;
  readonly clientMs: ReadonlyMap<ClientId, number>;
  readonly serverMs: number;
  /** Payload bytes each client sent (keys, ciphertexts, words, signatures, shares). */
  readonly bytesUp: ReadonlyMap<ClientId, number>;
}

const PHASE_OF: Record<ClientMessage['kind'], DropPoint | undefined> = {
  'advertise-keys': 'advertise-keys',
  'graph-nonce': 'graph-nonce',
  'share-keys': 'share-keys',
  'share-check': 'share-check',
  'masked-input': 'masked-input',
  'consistency-signature': 'consistency-check',
  'unmask-response': 'unmasking',
  abort: undefined,
};

/**
 * Runs one session in memory: the real client and server state machines, messages passed by
 * reference, and the deadline of a phase reported as soon as every live client has answered — a
 * simulated clock that never waits. Clients are driven one at a time, so only one masked vector is
 * alive at once: memory stays O(d), not O(n·d).
 */
export function runLocalRound(options: LocalRoundOptions): LocalRoundReport {
  const { clients: ids, identities, clock = () => 0 } = options;
  const identityKeyOf = (id: ClientId): Uint8Array | undefined => identities.get(id)?.publicKey;
  const planDigest = options.planDigest ?? digest('cohort/secagg/local-round-plan/v1', options.sessionId);
  const minimumRoster = options.minimumRoster ?? options.parameters.threshold + 1;
  const server = new SecAggServer({
    sessionId: options.sessionId,
    parameters: options.parameters,
    planDigest,
    minimumRoster,
    ...(options.corruptClients === undefined ? {} : { corruptClients: options.corruptClients }),
    dimension: options.dimension,
    clients: ids,
    identityKeyOf,
    prg: options.prg,
  });
  const clients = new Map<ClientId, SecAggClient>();
  const clientMs = new Map<ClientId, number>(ids.map((id) => [id, 0]));
  const bytesUp = new Map<ClientId, number>(ids.map((id) => [id, 0]));
  const gone = new Set<ClientId>();
  const queue: Outbound[] = [];
  let serverMs = 0;

  const toServer = (from: ClientId, message: ClientMessage): void => {
    bytesUp.set(from, bytesUp.get(from)! + payloadBytes(message));
    const t0 = clock();
    queue.push(...server.handle(from, message));
    serverMs += clock() - t0;
  };
  const leave = (id: ClientId, disconnect: boolean): void => {
    gone.add(id);
    if (!disconnect) return;
    const t0 = clock();
    queue.push(...server.disconnected(id));
    serverMs += clock() - t0;
  };
  const send = (from: ClientId, produced: ClientMessage[]): void => {
    const tamper = options.tamper;
    const messages = tamper === undefined ? produced : produced.flatMap((m) => tamper(from, m));
    const drop = options.drops?.get(from);
    const phase = messages[0] === undefined ? undefined : PHASE_OF[messages[0].kind];
    if (drop !== undefined && phase !== undefined) {
      if (drop.at === phase) return leave(from, drop.disconnect);
      if (drop.at === 'masked-input-partial' && phase === 'masked-input') {
        // The last chunk never arrives (so a one-chunk input never arrives at all).
        for (const m of messages.slice(0, -1)) toServer(from, m);
        return leave(from, drop.disconnect);
      }
    }
    for (const m of messages) toServer(from, m);
  };
  const timed = (id: ClientId, step: () => ClientMessage[]): ClientMessage[] => {
    const t0 = clock();
    const out = step();
    clientMs.set(id, clientMs.get(id)! + clock() - t0);
    return out;
  };

  for (const id of ids) {
    const client = new SecAggClient({
      id,
      sessionId: options.sessionId,
      parameters: options.parameters,
      planDigest,
      minimumRoster,
      dimension: options.dimension,
      identity: identities.get(id)!,
      identityKeyOf,
      random: options.randomFor?.(id) ?? options.random,
      prg: options.prg,
      ...(options.chunkWords === undefined ? {} : { chunkWords: options.chunkWords }),
    });
    clients.set(id, client);
    send(
      id,
      timed(id, () => client.start(() => options.input(id))),
    );
  }
  for (;;) {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (gone.has(next.to)) continue;
      const client = clients.get(next.to)!;
      const { message } = next;
      send(
        next.to,
        timed(next.to, () => client.handle(message)),
      );
    }
    if (server.phase === 'ready' || server.phase === 'aborted') break;
    const t0 = clock();
    queue.push(...server.deadline());
    serverMs += clock() - t0;
  }

  let result: SecAggResult | undefined;
  if (server.phase === 'ready') {
    const t0 = clock();
    try {
      result = server.finish(options.remover);
    } catch (error) {
      if (server.abortError !== error) throw error;
      for (const { to, message } of server.takeOutbound())
        if (!gone.has(to)) clients.get(to)!.handle(message);
    } finally {
      serverMs += clock() - t0;
    }
  }
  const clientAborts = new Map<ClientId, string>();
  for (const [id, client] of clients)
    if (client.abortReason !== undefined) clientAborts.set(id, client.abortReason);
  return {
    result,
    abortError: server.abortError,
    dropped: server.dropped,
    culprits: server.culprits,
    clientAborts,
    clientMs,
    serverMs,
    bytesUp,
  };
}

/** What a message would carry on the wire, excluding framing: the bytes the protocol itself costs. */
export function payloadBytes(message: ClientMessage): number {
  switch (message.kind) {
    case 'advertise-keys':
      return (
        message.encryptionKey.length +
        message.maskingKey.length +
        message.graphCommitment.length +
        message.signature.length
      );
    case 'graph-nonce':
      return 4 + message.nonce.length;
    case 'share-check':
      return 4 * message.rejected.length;
    case 'share-keys':
      return message.ciphertexts.reduce(
        (n, c) => n + 4 + c.ciphertext.length,
        message.selfSeedCommitment.length,
      );
    case 'masked-input':
      return 4 + message.words.byteLength;
    case 'consistency-signature':
      return message.signature.length;
    case 'unmask-response':
      return [...message.selfSeedShares, ...message.maskKeyShares].reduce(
        (n, s) => n + 4 + s.share.length,
        0,
      );
    case 'abort':
      return message.reason.length;
  }
}
