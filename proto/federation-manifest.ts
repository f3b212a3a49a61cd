/**
 * The signed federation manifest: what a member pins instead of believing the coordinator. The
 * operator signs it with an operator Ed25519 key (`cohort federation sign`); the coordinator hands it
 * to every member in JoinResponse; a member configured with the operator's public key (or the
 * manifest's SHA-256) verifies it, takes peers' identity keys only from it, and refuses a coordinator
 * whose manifest does not verify or changes mid-federation.
 *
 * Contract (types) fixed here; canonical bytes, hashing, signing and verification live beside them.
 */

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { constantTimeEqual } from '../aggregation/crypto/bytes.js';
import { framed } from '../aggregation/crypto/kdf.js';
import { sign, verify, type SigningKeyPair } from '../aggregation/crypto/signature.js';
import { canonicalJson } from './canonical-json.js';

export const MANIFEST_VERSION = 1;

export interface ManifestMember {
  /** 1-based position, the member's id in the secure-aggregation protocol. */
  readonly index: number;
  readonly name: string;
  /** Ed25519 public key, 64 lowercase hex characters. */
  readonly identityKey: string;
}

export interface ManifestThreatModel {
  /** γ: fraction of the federation's members that may collude with the coordinator. */
  readonly corruptFraction: number;
  /** δ: fraction of a round's participants expected to drop out. */
  readonly expectedDropout: number;
  /** A secure round (or bucket) has at least this many participants. */
  readonly minimumClients: number;
  /** secure+robust: members per bucket at least. */
  readonly bucketSize?: number;
  /** Explicit k and t, when the federation file sets them; members still check them against the bound. */
  readonly degree?: number;
  readonly threshold?: number;
  readonly securityBits: number;
  readonly correctnessBits: number;
  /** Rounds a member proven to misbehave is left out of selection. */
  readonly quarantineRounds: number;
}

export interface ManifestPrivacy {
  readonly mode: 'none' | 'central' | 'distributed';
  /** z, as in the federation file. */
  readonly noiseMultiplier?: number;
  /** C: the L2 clipping bound (the fixed bound; adaptive clipping starts here). */
  readonly clipNorm: number;
  readonly quantization: { readonly clipRange: number; readonly levels: number };
  /** The federation's budget, enforced by the coordinator. */
  readonly budget?: { readonly epsilon: number; readonly delta: number };
  /**
   * The budget each member enforces on itself with its own accountant, whatever the coordinator says;
   * under distributed DP a member stops taking part once a round would exceed it.
   */
  readonly memberBudget?: { readonly epsilon: number; readonly delta: number };
}

export interface FederationManifest {
  readonly version: typeof MANIFEST_VERSION;
  readonly federation: string;
  readonly members: readonly ManifestMember[];
  readonly threatModel: ManifestThreatModel;
  readonly privacy: ManifestPrivacy;
  readonly aggregation: { readonly mode: 'secure' | 'robust' | 'secure+robust' };
  /** SHA-256 (hex) of the model spec JSON members build, as sent in RoundStarted.model_spec_json. */
  readonly modelSpecSha256: string;
  readonly rounds: number;
}

/** The file `cohort federation sign` writes and JoinResponse.manifest carries (as its UTF-8 JSON). */
export interface SignedManifest {
  readonly manifest: FederationManifest;
  /** Ed25519 public key of the operator, hex. */
  readonly operatorKey: string;
  /** Ed25519 signature by the operator over manifestSigningPayload(canonical bytes), hex. */
  readonly signature: string;
}

/** What a member is configured with: the operator's public key, or the exact manifest's SHA-256. */
export type ManifestPin = { readonly operatorKey: Uint8Array } | { readonly manifestSha256: Uint8Array };

/** A manifest that verified against a pin. */
export interface VerifiedManifest {
  readonly manifest: FederationManifest;
  /** SHA-256 of the manifest's canonical bytes. */
  readonly sha256: Uint8Array;
  readonly operatorKey: Uint8Array;
}

/**
 * Why a manifest was refused. `json`, `schema`, `members`: malformed; `operator-key`: signed by someone
 * other than the pinned operator; `signature`: altered after signing; `hash`: not the pinned manifest;
 * the SDK adds `federation` (the coordinator runs another federation), `not-member` (the member's key is
 * not at the index it was given) and `changed` (a different manifest after the first join).
 */
export type ManifestFailure =
  | 'json'
  | 'schema'
  | 'members'
  | 'operator-key'
  | 'signature'
  | 'hash'
  | 'federation'
  | 'not-member'
  | 'changed';

/** A manifest a member (or the coordinator) must not act on; never worth retrying. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly code: ManifestFailure,
    message: string,
  ) {
    super(`signed manifest: ${message}`);
  }
}

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${2 * bytes}}$`), `expected ${2 * bytes} lowercase hex characters`);
const finite = () => z.number().finite();
const count = (min: number) => z.number().int().min(min);
const fraction = () => finite().min(0).lt(1);
const budget = () => z.object({ epsilon: finite().gt(0), delta: finite().gt(0).lt(1) }).strict();

/** Strict at every level: a field the signer did not write is refused, not ignored. */
const manifestSchema = z
  .object({
    version: z.literal(MANIFEST_VERSION),
    federation: z.string().min(1),
    members: z
      .array(z.object({ index: count(1), name: z.string().min(1), identityKey: hex(32) }).strict())
      .min(1),
    threatModel: z
      .object({
        corruptFraction: fraction(),
        expectedDropout: fraction(),
        minimumClients: count(1),
        bucketSize: count(1).optional(),
        degree: count(1).optional(),
        threshold: count(1).optional(),
        securityBits: count(1),
        correctnessBits: count(1),
        quarantineRounds: count(0),
      })
      .strict(),
    privacy: z
      .object({
        mode: z.enum(['none', 'central', 'distributed']),
        noiseMultiplier: finite().gt(0).optional(),
        clipNorm: finite().gt(0),
        quantization: z.object({ clipRange: finite().gt(0), levels: count(2) }).strict(),
        budget: budget().optional(),
        memberBudget: budget().optional(),
      })
      .strict(),
    aggregation: z.object({ mode: z.enum(['secure', 'robust', 'secure+robust']) }).strict(),
    modelSpecSha256: hex(32),
    rounds: count(1),
  })
  .strict();

const signedManifestSchema = z
  .object({ manifest: manifestSchema, operatorKey: hex(32), signature: hex(64) })
  .strict();

/** The bytes that are hashed and signed: canonical JSON (sorted keys, no whitespace, UTF-8). */
export function canonicalManifestBytes(manifest: FederationManifest): Uint8Array {
  return canonicalJson(manifest);
}

export function manifestSha256(manifest: FederationManifest): Uint8Array {
  return new Uint8Array(createHash('sha256').update(canonicalManifestBytes(manifest)).digest());
}

/** Purpose-framed, so an operator signature over a manifest can never pass for any other signed message. */
export function manifestSigningPayload(manifest: FederationManifest): Uint8Array {
  return framed(new TextEncoder().encode('cohort/federation-manifest/v1'), canonicalManifestBytes(manifest));
}

/** Checks the manifest as `verifySignedManifest` would, then signs it with the operator's key. */
export function signManifest(manifest: FederationManifest, operator: SigningKeyPair): SignedManifest {
  const checked = parseManifest(manifest, 'manifest');
  return {
    manifest: checked,
    operatorKey: toHex(operator.publicKey),
    signature: toHex(sign(manifestSigningPayload(checked), operator.secretKey)),
  };
}

/** The file `cohort federation sign` writes and JoinResponse.signed_manifest carries: indented JSON, UTF-8. */
export function encodeSignedManifest(signed: SignedManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(signed, null, 2)}\n`);
}

/** Signs and encodes in one step: the bytes a coordinator serves and the hash members may pin. */
export function signedManifestFile(
  manifest: FederationManifest,
  operator: SigningKeyPair,
): { readonly bytes: Uint8Array; readonly sha256: Uint8Array } {
  return { bytes: encodeSignedManifest(signManifest(manifest, operator)), sha256: manifestSha256(manifest) };
}

/**
 * Parses a signed manifest (its file bytes or JSON text, or an already parsed object) and checks it
 * against the pin: with an operator key, that key signed it; with a manifest hash, it is that manifest
 * and its signature verifies. Throws ManifestError naming the first thing that failed.
 */
export function verifySignedManifest(
  /** File bytes or JSON text (parsed here), or a value already parsed from JSON. */
  input: unknown,
  pin: ManifestPin,
): VerifiedManifest {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      const text =
        typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
      value = JSON.parse(text);
    } catch (error) {
      throw new ManifestError(
        'json',
        `not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  const parsed = signedManifestSchema.safeParse(value);
  if (!parsed.success) throw new ManifestError('schema', describeIssues(parsed.error));
  const signed = parsed.data;
  const manifest = signed.manifest as FederationManifest;
  const operatorKey = fromHex(signed.operatorKey);
  if ('operatorKey' in pin && !constantTimeEqual(operatorKey, pin.operatorKey))
    throw new ManifestError(
      'operator-key',
      `operatorKey: signed by ${signed.operatorKey}, not by the pinned operator key ${toHex(pin.operatorKey)}`,
    );
  if (!verify(fromHex(signed.signature), manifestSigningPayload(manifest), operatorKey))
    throw new ManifestError(
      'signature',
      `signature: does not verify for operatorKey ${signed.operatorKey} (the manifest was changed after signing)`,
    );
  const sha256 = manifestSha256(manifest);
  if ('manifestSha256' in pin && !constantTimeEqual(sha256, pin.manifestSha256))
    throw new ManifestError(
      'hash',
      `sha256 ${toHex(sha256)} is not the pinned manifest ${toHex(pin.manifestSha256)}`,
    );
  checkMembers(manifest, 'manifest');
  return { manifest, sha256, operatorKey };
}

/** Identity keys by member index: the only source of peers' keys a pinned member uses. */
export function memberKeysOf(manifest: FederationManifest): Map<number, Uint8Array> {
  return new Map(manifest.members.map((m) => [m.index, fromHex(m.identityKey)]));
}

function parseManifest(value: unknown, at: string): FederationManifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw new ManifestError('schema', describeIssues(parsed.error, at));
  const manifest = parsed.data as FederationManifest;
  checkMembers(manifest, at);
  return manifest;
}

/** Indices are protocol ids, so they must be exactly 1..N in order; a key twice would be one member counted twice. */
function checkMembers(manifest: FederationManifest, at: string): void {
  const seen = new Map<string, number>();
  manifest.members.forEach((m, i) => {
    if (m.index !== i + 1)
      throw new ManifestError(
        'members',
        `${at}.members[${i}].index: expected ${i + 1} (indices run 1..N in order), got ${m.index}`,
      );
    const first = seen.get(m.identityKey);
    if (first !== undefined)
      throw new ManifestError(
        'members',
        `${at}.members[${i}].identityKey: the same key as members[${first}] (duplicate member key)`,
      );
    seen.set(m.identityKey, i);
  });
}

function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))]
        .join('')
        .replace(/^\./, '');
      const unknown = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${path === '' ? '' : `${path}: `}${issue.message}${unknown}`;
    })
    .join('; ');
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}
