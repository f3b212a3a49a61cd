import * as grpc from '@grpc/grpc-js';
import type { CoordinatorService, RoundPlan } from '../../coordinator/grpc/service.js';
import { loadCohortProto } from '../../proto/load.js';

/** The real Coordinator service on a free loopback port, for tests that drive members over gRPC. */
export async function serveOnLoopback(
  service: CoordinatorService,
): Promise<{ readonly server: grpc.Server; readonly port: number; readonly address: string }> {
  const server = new grpc.Server();
  server.addService(loadCohortProto().Coordinator.service, service.handlers);
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))),
  );
  return { server, port, address: `127.0.0.1:${port}` };
}

/**
 * A round plan naming `modelSpecJson` — the spec the test's manifest pins, or members refuse the round
 * — with one local epoch; the tests that use it feed members' inputs directly.
 */
export function testRoundPlan(
  modelSpecJson: string,
  overrides: { readonly modelSha256?: Uint8Array; readonly exampleCap?: number } = {},
): RoundPlan {
  return {
    modelSha256: overrides.modelSha256 ?? new Uint8Array(32),
    modelSpecJson,
    training: {
      epochs: 1,
      steps: 0,
      batch_size: 8,
      learning_rate: 0.1,
      clip_norm: 1,
      example_cap: overrides.exampleCap ?? 1,
      report_clip_indicator: false,
    },
  };
}
