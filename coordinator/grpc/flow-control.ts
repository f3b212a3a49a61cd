import type * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/** Receive window the coordinator grants each member connection: a few masked-input chunks in flight. */
export const RECEIVE_WINDOW_BYTES = 16 * 2 ** 20;

/**
 * grpc-js 1.14 leaves a server's HTTP/2 receive window at Node's 64 KiB default (the client side has
 * `grpc-node.flow_control_window`; a server equivalent is proposed upstream, grpc-node PR #3058). A
 * member uploading a 4 MB masked vector then waits for a WINDOW_UPDATE every 64 KiB, each one delayed
 * by whatever the coordinator's event loop is doing. This widens the stream and connection windows of
 * every new session. It reaches into grpc-js's private map of HTTP/2 servers, so it reports whether it
 * could: false means the defaults stay and only throughput suffers. Call it after bindAsync.
 */
export function widenReceiveWindow(server: grpc.Server, bytes = RECEIVE_WINDOW_BYTES): boolean {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) return false;
  for (const http2Server of servers.keys() as IterableIterator<http2.Http2Server>) {
    http2Server.on('session', (session: http2.ServerHttp2Session) => {
      session.settings({ initialWindowSize: bytes });
      session.setLocalWindowSize(bytes);
    });
  }
  return servers.size > 0;
}
