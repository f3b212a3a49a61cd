import { LocalProtocolError, RemoteProtocolError } from '../reasons.js';
import type { ClientMessage, ServerMessage } from '../messages.js';
import { validateClientConfig, type ClientConfig } from './config.js';
import { advertiseKeys } from './r0-advertise-keys.js';
import { terminal } from './r4-unmasking.js';
import type { ClientPhase, ClientState } from './state.js';

/**
 * The client side of one secure-aggregation session, sans-IO: messages from the server go in, messages
 * for the server come out. No sockets, clocks or timers: the transport decides when to call and what
 * a lost connection means. When the server breaks the protocol the client sends an abort and stops.
 */
export class SecAggClient {
  private state: ClientState | undefined;
  private failure: RemoteProtocolError | undefined;

  constructor(private readonly config: ClientConfig) {
    validateClientConfig(config);
  }

  get phase(): ClientPhase | 'not-started' {
    return this.state?.phase ?? 'not-started';
  }

  /** Why the client aborted, when it did. */
  get abortReason(): string | undefined {
    return this.failure?.message;
  }

  /**
   * Starts the session; returns the AdvertiseKeys message. The quantized input may be given lazily: it
   * is first needed in MaskedInputCollection, so a simulator can avoid holding every client's vector.
   */
  start(input: Uint32Array | (() => Uint32Array)): ClientMessage[] {
    if (this.state !== undefined) throw new LocalProtocolError('start called twice');
    const dimension = this.config.dimension;
    const checked = (): Uint32Array => {
      const words = typeof input === 'function' ? input() : input;
      if (words.length !== dimension) {
        throw new LocalProtocolError(`input has ${words.length} words; dimension is ${dimension}`);
      }
      return words;
    };
    if (typeof input !== 'function') checked();
    const { next, send } = advertiseKeys(this.config, checked);
    this.state = next;
    return [send];
  }

  handle(message: ServerMessage): ClientMessage[] {
    if (this.state === undefined) throw new LocalProtocolError('handle called before start');
    if (message.kind === 'abort' && this.state.phase !== 'completed') {
      this.state = terminal('aborted');
      this.failure = new RemoteProtocolError(`server aborted: ${message.reason}`);
      return [];
    }
    try {
      const { next, send } = this.state.handle(message, this.config);
      this.state = next;
      return send;
    } catch (error) {
      if (!(error instanceof RemoteProtocolError)) throw error;
      this.state = terminal('aborted');
      this.failure = error;
      return [{ kind: 'abort', reason: error.message }];
    }
  }
}
