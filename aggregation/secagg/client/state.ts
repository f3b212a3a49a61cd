import { RemoteProtocolError } from '../reasons.js';
import type { ClientMessage, ServerMessage } from '../messages.js';
import type { ClientConfig } from './config.js';

export type ClientPhase =
  | 'advertise-keys'
  | 'graph-nonce'
  | 'share-keys'
  | 'share-check'
  | 'masked-input'
  | 'consistency-check'
  | 'unmasking'
  | 'completed'
  | 'aborted';

export interface Transition {
  readonly next: ClientState;
  readonly send: ClientMessage[];
}

/**
 * One state of the client. A state handles only the message it waits for; `expect` turns any other
 * into a RemoteProtocolError, which the client answers by aborting: a server that skips or repeats a
 * step gets nothing more from an honest client.
 */
export interface ClientState {
  readonly phase: ClientPhase;
  handle(message: ServerMessage, config: ClientConfig): Transition;
}

export function expect<K extends ServerMessage['kind']>(
  message: ServerMessage,
  kind: K,
  phase: ClientPhase,
): Extract<ServerMessage, { kind: K }> {
  if (message.kind !== kind) {
    throw new RemoteProtocolError(`expected ${kind} in phase ${phase}, got ${message.kind}`);
  }
  return message as Extract<ServerMessage, { kind: K }>;
}

/** Throws a RemoteProtocolError (the server's fault) unless `condition` holds. */
export function refuseUnless(condition: boolean, why: string): asserts condition {
  if (!condition) throw new RemoteProtocolError(why);
}

export function strictlyAscending(ids: readonly number[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i]! > ids[i - 1]!)) return false;
  return true;
}
