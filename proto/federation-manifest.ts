/**
 * The signed federation manifest: what a member pins instead of believing the coordinator. The
 * operator signs it with an operator Ed25519 key (`cohort federation sign`); the coordinator hands it
 * to every member in JoinResponse; a member configured with the operator's public key (or the
 * manifest's SHA-256) verifies it, takes peers' identity keys only from it, and refuses a coordinator
 * whose manifest does not verify or changes mid-federation.
 *
 * Contract (types) fixed here; canonical bytes, hashing, signing and verification live beside them.
 */

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
