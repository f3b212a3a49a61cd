import libsodium from 'libsodium-wrappers';

/**
 * libsodium is a WebAssembly module that must finish loading before its first use. Callers await
 * `cryptoReady()` once at start-up; every primitive in this folder is synchronous after that, which
 * keeps the protocol state machines synchronous too.
 */
export async function cryptoReady(): Promise<void> {
  await libsodium.ready;
}

export const sodium = libsodium;
