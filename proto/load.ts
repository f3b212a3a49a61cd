import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Loads cohort.v1 from the .proto files, which stay the single definition of the wire format. The
 * options keep field names as written in the proto (snake_case), bytes as Buffers, 64-bit integers as
 * JavaScript numbers, and unset fields at their defaults, so the codec sees one predictable shape.
 */
const PROTO_ROOT = fileURLToPath(new URL('../../proto', import.meta.url));

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export interface CohortProto {
  readonly Coordinator: grpc.ServiceClientConstructor;
}

export function loadCohortProto(): CohortProto {
  const definition = protoLoader.loadSync('cohort/v1/coordinator.proto', PROTO_LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition) as unknown as { cohort: { v1: CohortProto } };
  return root.cohort.v1;
}
