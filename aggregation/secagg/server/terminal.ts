import type { ClientId } from '../graph.js';
import { AbortReason, SecAggAbortedError } from '../reasons.js';
import type { ServerContext, ServerPhase, ServerState } from './context.js';

/** A state that takes no more messages: late ones are ignored, not held against their senders. */
export class TerminalState implements ServerState {
  constructor(
    readonly phase: Extract<ServerPhase, 'ready' | 'completed' | 'aborted'>,
    readonly error?: SecAggAbortedError,
  ) {}
  accept(): void {}
  waitingFor(): ClientId[] {
    return [];
  }
  advance(): ServerState {
    return this;
  }
}

/**
 * Ends the session without a result: every remaining client is told, and the running sum is wiped so
 * no partial aggregate outlives the session.
 */
export function abortSession(ctx: ServerContext, reason: AbortReason, detail: string): TerminalState {
  const error = new SecAggAbortedError(reason, detail);
  for (const id of ctx.active) ctx.send(id, { kind: 'abort', reason: error.message });
  ctx.sum.words.fill(0);
  return new TerminalState('aborted', error);
}

/** Aborts unless at least `threshold` clients remain for `what`. */
export function belowThreshold(ctx: ServerContext, count: number, what: string): TerminalState | undefined {
  const { threshold } = ctx.config.parameters;
  if (count >= threshold) return undefined;
  return abortSession(ctx, AbortReason.TooFewClients, `${count} clients ${what}; threshold is ${threshold}`);
}
