import assert from 'node:assert/strict';

import { chacha20Prg } from '../../../aggregation/crypto/mask-prg.js';
import { seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import { signingKeyPairFromSeed, type SigningKeyPair } from '../../../aggregation/crypto/signature.js';
import {
  NeighbourGraph,
  SecAggClient,
  SecAggServer,
  type ClientId,
  type ClientMessage,
  type Outbound,
  type GraphNonces,
  type Roster,
  type SecAggParameters,
  type ServerMessage,
} from '../../../aggregation/secagg/index.js';
import { digest } from '../../../aggregation/crypto/kdf.js';
import { graphSeed, rosterDigest } from '../../../aggregation/secagg/transcript.js';

/** A member's long-term identity, the same in every test and session. */
export function identityOf(id: ClientId): SigningKeyPair {
  return signingKeyPairFromSeed(seedFromNumber(1000 + id));
}

/** A 32-byte session id spelled from a small tag: different tags, different sessions. */
export function sessionIdOf(tag: number): Uint8Array {
  return seedFromNumber(7_000_000 + tag);
}

/** The plan digest of a session, as every member of an honest round is shown it. */
export function planDigestOf(sessionId: Uint8Array): Uint8Array {
  return digest('cohort/test/plan/v1', sessionId);
}

/** Deterministic pseudo-random words (spread over the whole uint32 range, so sums wrap). */
export function randomWords(tag: number, count: number): Uint32Array {
  const words = new Uint32Array(count);
  seededRandom(seedFromNumber(3_000_000 + tag)).fill(new Uint8Array(words.buffer));
  return words;
}

export function randomBytesOf(tag: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  seededRandom(seedFromNumber(4_000_000 + tag)).fill(out);
  return out;
}

/** Σ inputs mod 2^32, written independently of aggregation/vector/words.ts. */
export function plainSum(inputs: readonly Uint32Array[], dimension: number): Uint32Array {
  const out = new Uint32Array(dimension);
  for (const words of inputs) {
    assert.equal(words.length, dimension);
    for (let i = 0; i < dimension; i++) out[i] = (out[i]! + words[i]!) % 2 ** 32;
  }
  return out;
}

/** A copy of `bytes` with one byte XORed (default: the last one). */
export function flipByte(bytes: Uint8Array, at = bytes.length - 1): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at]! ^= 0x01;
  return out;
}

/**
 * Where a scripted client stops: at the first message of kind `at` it would send, after sending the
 * first `keep` messages of that batch (default 0); with `disconnect` the server is told at once,
 * otherwise the phase deadline finds out.
 */
export interface StopScript {
  readonly at: ClientMessage['kind'];
  readonly keep?: number;
  readonly disconnect?: boolean;
}

export interface SessionOptions {
  readonly ids: readonly ClientId[];
  readonly parameters: SecAggParameters;
  /** Distinguishes sessions: the session id is derived from it. */
  readonly sessionTag: number;
  /** Seeds the clients' randomness; two sessions with the same tag draw the same round keys. */
  readonly randomTag?: number;
  /** Seeds the clients' inputs. */
  readonly inputTag?: number;
  readonly dimension?: number;
  readonly chunkWords?: number;
  /** Federation members with an identity that are not in this session. */
  readonly otherMembers?: readonly ClientId[];
  /** The plan digest a client was shown (default: the session's, the same for all). */
  readonly planDigestFor?: (id: ClientId, sessionPlan: Uint8Array) => Uint8Array;
  /** The smallest roster the clients accept (default t + 1); the server is told the same. */
  readonly minimumRoster?: number;
  /** C, for culprit naming (default 0). */
  readonly corruptClients?: number;
}

/**
 * One secure-aggregation session driven by hand: the real client and server state machines, the
 * server's messages queued and delivered in order, a deadline reported only when nothing is left to
 * deliver and nothing is held back. A test can hold back chosen server messages (to tamper with them
 * or reorder them), rewrite what a client sends, and script clients that stop or disconnect.
 */
export class Session {
  readonly sessionId: Uint8Array;
  readonly planDigest: Uint8Array;
  readonly parameters: SecAggParameters;
  readonly dimension: number;
  readonly ids: readonly ClientId[];
  readonly identities = new Map<ClientId, SigningKeyPair>();
  readonly server: SecAggServer;
  readonly clients = new Map<ClientId, SecAggClient>();
  readonly inputs = new Map<ClientId, Uint32Array>();
  /** Server messages not yet delivered. */
  readonly pending: Outbound[] = [];
  /** Server messages the `hold` predicate kept back. */
  readonly held: Outbound[] = [];
  /** Every message the server ever returned, in order. */
  readonly sent: Outbound[] = [];
  /** Every message each client produced (before rewriting and scripts), in order. */
  readonly produced = new Map<ClientId, ClientMessage[]>();
  /** Clients that stopped talking (scripted). */
  readonly gone = new Set<ClientId>();
  hold: (to: ClientId, message: ServerMessage) => boolean = () => false;
  rewrite: (from: ClientId, messages: ClientMessage[]) => ClientMessage[] = (_from, messages) => messages;
  readonly scripts = new Map<ClientId, StopScript>();

  constructor(options: SessionOptions) {
    this.sessionId = sessionIdOf(options.sessionTag);
    this.planDigest = planDigestOf(this.sessionId);
    const minimumRoster = options.minimumRoster ?? options.parameters.threshold + 1;
    this.parameters = options.parameters;
    this.dimension = options.dimension ?? 10;
    this.ids = options.ids;
    for (const id of [...options.ids, ...(options.otherMembers ?? [])])
      this.identities.set(id, identityOf(id));
    const identityKeyOf = (id: ClientId): Uint8Array | undefined => this.identities.get(id)?.publicKey;
    this.server = new SecAggServer({
      sessionId: this.sessionId,
      parameters: this.parameters,
      planDigest: this.planDigest,
      minimumRoster,
      ...(options.corruptClients === undefined ? {} : { corruptClients: options.corruptClients }),
      dimension: this.dimension,
      clients: this.ids,
      identityKeyOf,
      prg: chacha20Prg,
    });
    const randomTag = options.randomTag ?? options.sessionTag;
    const inputTag = options.inputTag ?? options.sessionTag;
    for (const id of this.ids) {
      this.inputs.set(id, randomWords(inputTag * 1000 + id, this.dimension));
      this.produced.set(id, []);
      this.clients.set(
        id,
        new SecAggClient({
          id,
          sessionId: this.sessionId,
          parameters: this.parameters,
          planDigest: options.planDigestFor?.(id, this.planDigest) ?? this.planDigest,
          minimumRoster,
          dimension: this.dimension,
          identity: this.identities.get(id)!,
          identityKeyOf,
          random: seededRandom(seedFromNumber(5_000_000 + randomTag * 1000 + id)),
          prg: chacha20Prg,
          chunkWords: options.chunkWords ?? 4,
        }),
      );
    }
  }

  client(id: ClientId): SecAggClient {
    const client = this.clients.get(id);
    assert.ok(client !== undefined, `no client ${id}`);
    return client;
  }

  /** Every client sends its AdvertiseKeys. */
  start(): this {
    for (const id of this.ids) this.send(id, this.client(id).start(this.inputs.get(id)!));
    return this;
  }

  /** What `from` sends, after the test's rewrite and scripts. */
  send(from: ClientId, messages: ClientMessage[]): void {
    this.produced.get(from)?.push(...messages);
    if (this.gone.has(from)) return;
    const outgoing = this.rewrite(from, messages);
    const script = this.scripts.get(from);
    const stopAt = script === undefined ? -1 : outgoing.findIndex((m) => m.kind === script.at);
    const upTo = stopAt < 0 ? outgoing.length : stopAt + (script?.keep ?? 0);
    for (const message of outgoing.slice(0, upTo)) this.toServer(from, message);
    if (stopAt >= 0) {
      this.gone.add(from);
      if (script?.disconnect === true) this.record(this.server.disconnected(from));
    }
  }

  /** Hands one client message to the server, as is. */
  toServer(from: ClientId, message: ClientMessage): Outbound[] {
    return this.record(this.server.handle(from, message));
  }

  /** Hands a server message to its client and forwards the reply; returns what the client said. */
  deliver(outbound: Outbound): ClientMessage[] {
    const reply = this.client(outbound.to).handle(outbound.message);
    this.send(outbound.to, reply);
    return reply;
  }

  /**
   * Delivers until nothing is pending. When nothing is held back and the server still waits, the
   * phase deadline passes. Stops when something is held, or the server is ready or finished.
   */
  run(): this {
    for (let round = 0; ; round++) {
      assert.ok(round < 20, 'session does not settle');
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
        if (this.gone.has(next.to)) continue;
        if (this.hold(next.to, next.message)) this.held.push(next);
        else this.deliver(next);
      }
      if (this.held.length > 0) return this;
      if (['ready', 'completed', 'aborted'].includes(this.server.phase)) return this;
      this.record(this.server.deadline());
    }
  }

  /** Removes and returns the held message of `kind` addressed to `to`. */
  take<K extends ServerMessage['kind']>(to: ClientId, kind: K): Extract<ServerMessage, { kind: K }> {
    const at = this.held.findIndex((o) => o.to === to && o.message.kind === kind);
    assert.ok(at >= 0, `no held ${kind} for client ${to}`);
    const [outbound] = this.held.splice(at, 1);
    return outbound!.message as Extract<ServerMessage, { kind: K }>;
  }

  /** Stops holding and queues every held message again, `first` ones ahead of the rest. */
  release(first: readonly ClientId[] = []): this {
    this.hold = () => false;
    const rank = (o: Outbound): number => {
      const at = first.indexOf(o.to);
      return at < 0 ? first.length : at;
    };
    const held = this.held.splice(0, this.held.length).sort((a, b) => rank(a) - rank(b));
    this.pending.unshift(...held);
    return this;
  }

  /** The last roster the server sent (the one the graph came from, once nonces are out). */
  roster(): Roster {
    const rosters = this.sent.filter((o) => o.message.kind === 'roster');
    assert.ok(rosters.length > 0, 'no roster sent yet');
    return rosters[rosters.length - 1]!.message as Roster;
  }

  /** The neighbour graph, as every client derives it from the roster and nonces the server sent. */
  graph(): NeighbourGraph {
    const roster = this.roster();
    const nonces = this.sent.find((o) => o.message.kind === 'graph-nonces')?.message as
      GraphNonces | undefined;
    assert.ok(nonces !== undefined, 'no graph nonces sent yet');
    assert.equal(nonces.attempt, roster.attempt);
    return graphOf(this.sessionId, roster, nonces, this.parameters.degree);
  }

  /** Σ inputs of `survivors` mod 2^32. */
  expectedSum(survivors: readonly ClientId[]): Uint32Array {
    return plainSum(
      survivors.map((id) => this.inputs.get(id)!),
      this.dimension,
    );
  }

  /** Keeps what the server returned, to be delivered in order. */
  record(outbound: Outbound[]): Outbound[] {
    this.sent.push(...outbound);
    this.pending.push(...outbound);
    return outbound;
  }
}

/** The graph a client derives from a roster and the nonces revealed for it. */
export function graphOf(
  sessionId: Uint8Array,
  roster: Roster,
  nonces: GraphNonces,
  degree: number,
): NeighbourGraph {
  return new NeighbourGraph(
    roster.entries.map((e) => e.id),
    degree,
    graphSeed(
      rosterDigest(sessionId, roster.attempt, roster.entries),
      nonces.nonces.map((n) => n.nonce),
    ),
  );
}
