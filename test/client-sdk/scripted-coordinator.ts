import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadCohortProto } from '../../proto/load.js';

/** One call the scripted coordinator received: the method and the request as proto-loader decoded it. */
export interface ReceivedCall {
  readonly method: string;
  readonly request: Record<string, unknown>;
}

export interface ScriptedJoin {
  readonly federation: string;
  readonly memberIndex: number;
  /** JoinResponse.signed_manifest; a test swaps it to play a dishonest coordinator. */
  readonly signedManifest: () => Uint8Array;
  /** JoinResponse.members; a dishonest coordinator may list keys the manifest does not. */
  readonly members?: () => { member_index: number; name: string; identity_key: Uint8Array }[];
  /** The model blob DownloadModel serves (whatever hash is asked for); none by default. */
  readonly model?: () => Uint8Array;
}

const UNARY = ['AdvertiseKeys', 'RevealGraphNonce', 'ShareKeys', 'CheckShares', 'SignSurvivors', 'Unmask'];

/**
 * A coordinator whose every answer the test writes: real gRPC on a loopback port, so an honest SDK
 * member talks to it exactly as to the real one, while the test pushes whatever events a dishonest
 * coordinator would and records every byte the member sends back.
 */
export class ScriptedCoordinator {
  readonly calls: ReceivedCall[] = [];
  private inbox: grpc.ServerWritableStream<unknown, unknown> | undefined;
  private inboxWaiters: (() => void)[] = [];
  private callWaiters: (() => void)[] = [];
  /** Called with every recorded call as it arrives, for a test that answers as the protocol goes on. */
  onCall: (call: ReceivedCall) => void = () => undefined;

  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(join: ScriptedJoin): Promise<ScriptedCoordinator> {
    const server = new grpc.Server();
    const holder: { self?: ScriptedCoordinator } = {};
    const me = (): ScriptedCoordinator => holder.self!;
    const record = (method: string, request: Record<string, unknown>) => {
      me().calls.push({ method, request });
      me().onCall({ method, request });
      for (const wake of me().callWaiters.splice(0)) wake();
    };
    const ack =
      (method: string) =>
      (call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) => {
        record(method, call.request as Record<string, unknown>);
        done(null, {});
      };
    const handlers: grpc.UntypedServiceImplementation = {
      GetChallenge: (_call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) =>
        done(null, { nonce: randomBytes(32), federation: join.federation }),
      Join: (call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) => {
        record('Join', call.request as Record<string, unknown>);
        done(null, {
          session_token: randomBytes(16).toString('hex'),
          member_index: join.memberIndex,
          members: join.members?.() ?? [],
          signed_manifest: Buffer.from(join.signedManifest()),
        });
      },
      Subscribe: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        record('Subscribe', call.request as Record<string, unknown>);
        me().inbox = call;
        call.sendMetadata(new grpc.Metadata());
        for (const wake of me().inboxWaiters.splice(0)) wake();
      },
      UploadMaskedInput: (
        call: grpc.ServerReadableStream<unknown, unknown>,
        done: grpc.sendUnaryData<unknown>,
      ) => {
        call.on('data', (chunk: Record<string, unknown>) => record('UploadMaskedInput', chunk));
        call.on('end', () => done(null, {}));
      },
      AbortRound: ack('AbortRound'),
      DownloadModel: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const model = join.model?.();
        if (model !== undefined)
          call.write({ total_bytes: model.length, offset: 0, data: Buffer.from(model) });
        call.end();
      },
      GetStatus: (_call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) =>
        done(null, {}),
      SubmitUpdate: (
        call: grpc.ServerReadableStream<unknown, unknown>,
        done: grpc.sendUnaryData<unknown>,
      ) => {
        call.on('data', (chunk: Record<string, unknown>) => record('SubmitUpdate', chunk));
        call.on('end', () => done(null, {}));
      },
    };
    for (const method of UNARY) handlers[method] = ack(method);
    server.addService(loadCohortProto().Coordinator.service, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    holder.self = new ScriptedCoordinator(server, `127.0.0.1:${port}`);
    return holder.self;
  }

  /** Resolves once a member has opened its inbox. */
  async subscribed(timeoutMs = 5_000): Promise<void> {
    if (this.inbox !== undefined) return;
    await withTimeout(
      new Promise<void>((resolve) => this.inboxWaiters.push(resolve)),
      timeoutMs,
      'Subscribe',
    );
  }

  push(event: object): void {
    if (this.inbox === undefined) throw new Error('no member has subscribed');
    this.inbox.write(event);
  }

  /** Resolves with the first recorded call of `method` (after `from` calls) matching `where`. */
  async next(
    method: string,
    where: (request: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<ReceivedCall> {
    const find = () => this.calls.find((c) => c.method === method && where(c.request));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`scripted coordinator: no ${method} call within ${timeoutMs} ms`);
      await withTimeout(new Promise<void>((resolve) => this.callWaiters.push(resolve)), left, method).catch(
        () => undefined,
      );
    }
  }

  /** Methods the member called, in order. */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** Ends the member's inbox (as a coordinator that goes away would), so a new join follows. */
  dropInbox(): void {
    this.inbox?.end();
    this.inbox = undefined;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
