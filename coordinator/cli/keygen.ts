import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { signingKeyPairFromSeed, type SigningKeyPair } from '../../aggregation/crypto/signature.js';

/**
 * A member key file holds the 32-byte Ed25519 seed in hex, readable by its owner only (0600). The
 * public key it prints goes into the federation file's `members`.
 */
export async function writeKeyFile(path: string): Promise<SigningKeyPair> {
  const seed = randomBytes(32);
  await writeFile(path, `${seed.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return signingKeyPairFromSeed(new Uint8Array(seed));
}

export async function readKeyFile(path: string): Promise<SigningKeyPair> {
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new Error(`${path}: expected a 64-character hex Ed25519 seed`);
  return signingKeyPairFromSeed(new Uint8Array(Buffer.from(text, 'hex')));
}
