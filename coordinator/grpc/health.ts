import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from '../../proto/load.js';

type Status = 'SERVING' | 'NOT_SERVING';

/**
 * grpc.health.v1 for the coordinator: "" and "cohort.v1.Coordinator" are known; the status can be
 * flipped (e.g. NOT_SERVING while shutting down) and Watch callers hear every change.
 */
export class HealthService {
  private status: Status = 'SERVING';
  private readonly watchers = new Set<grpc.ServerWritableStream<{ service: string }, unknown>>();
  static readonly SERVICES = new Set(['', 'cohort.v1.Coordinator']);

  static definition(): grpc.ServiceDefinition {
    const loaded = protoLoader.loadSync('grpc/health/v1/health.proto', PROTO_LOADER_OPTIONS);
    const root = grpc.loadPackageDefinition(loaded) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    return root.grpc.health.v1.Health.service;
  }

  set(status: Status): void {
    this.status = status;
    for (const w of this.watchers) w.write({ status });
  }

  readonly handlers: grpc.UntypedServiceImplementation = {
    Check: (
      call: grpc.ServerUnaryCall<{ service: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      if (!HealthService.SERVICES.has(call.request.service)) {
        callback({
          code: grpc.status.NOT_FOUND,
          details: `service: unknown service '${call.request.service}'`,
        });
      } else callback(null, { status: this.status });
    },
    Watch: (call: grpc.ServerWritableStream<{ service: string }, unknown>) => {
      if (!HealthService.SERVICES.has(call.request.service)) {
        call.write({ status: 'SERVICE_UNKNOWN' });
        return;
      }
      call.write({ status: this.status });
      this.watchers.add(call);
      call.on('cancelled', () => this.watchers.delete(call));
    },
  };
}
