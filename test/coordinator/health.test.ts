import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthService } from '../../coordinator/grpc/health.js';

let server: grpc.Server;
let client: grpc.Client & Record<string, (...a: unknown[]) => unknown>;
const health = new HealthService();

before(async () => {
  server = new grpc.Server();
  server.addService(HealthService.definition(), health.handlers);
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))),
  );
  const Client = grpc.makeGenericClientConstructor(HealthService.definition(), 'Health');
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as never;
});
after(() => {
  client.close();
  server.forceShutdown();
});

const check = (service: string) =>
  new Promise<{ status: string }>((ok, fail) =>
    client['Check']!({ service }, (e: grpc.ServiceError | null, r: { status: string }) =>
      e ? fail(e) : ok(r),
    ),
  );

test('Check answers SERVING for the server and the coordinator service, NOT_FOUND otherwise', async () => {
  assert.equal((await check('')).status, 'SERVING');
  assert.equal((await check('cohort.v1.Coordinator')).status, 'SERVING');
  await assert.rejects(check('other.Service'), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
});

test('Watch reports the status now and every change', async () => {
  const stream = client['Watch']!({ service: '' }) as grpc.ClientReadableStream<{ status: string }>;
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (r: { status: string }) => {
      seen.push(r.status);
      if (seen.length === 1) health.set('NOT_SERVING');
      if (seen.length === 2) resolve();
    });
  });
  stream.cancel();
  stream.on('error', () => undefined);
  assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
  health.set('SERVING');
});
