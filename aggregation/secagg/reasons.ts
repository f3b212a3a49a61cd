/**
 * Why the server stopped counting on a client. Numbered and stable: they are logged, exported as
 * metrics and sent on the wire, so a number is never reused for another meaning.
 */
export enum DropReason {
  /** The phase deadline passed before the client's message arrived. */
  Timeout = 1,
  /** The transport reported the connection gone. */
  Disconnected = 2,
  /** The client sent an abort. */
  ClientAborted = 3,
  /** A message that does not belong to the current phase, or a second one for it. */
  UnexpectedMessage = 4,
  /** Key signature not valid for the client's identity. */
  InvalidKeySignature = 5,
  /** Keys of the wrong length or a low-order point. */
  MalformedKeys = 6,
  /** ShareKeys missing a neighbour, naming a non-neighbour, or naming one twice. */
  MalformedShares = 7,
  /** Masked input chunk out of order, of the wrong length or past the vector's end. */
  MalformedMaskedInput = 8,
  /** Consistency signature not valid over the survivor list. */
  InvalidConsistencySignature = 9,
  /** Unmask response with shares for owners that were not asked for, or malformed shares. */
  MalformedUnmaskResponse = 10,
  /** Graph nonce of the wrong attempt, or one that does not open the client's graph commitment. */
  InvalidGraphNonce = 11,
  /** Share check naming a client that sent it no share ciphertext, or not ascending. */
  MalformedShareCheck = 12,
  /** More neighbours than can be corrupt rejected its share ciphertexts (it is also named a culprit). */
  RejectedShareCiphertexts = 13,
  /** After cutting rejected edges, fewer than t neighbours hold valid shares of it: it could not be unmasked. */
  TooFewValidHolders = 14,
}

/**
 * Why the server names a client a culprit: proven misbehaviour, not bad luck. Numbered and stable like
 * DropReason. With an honest server an honest client is never named: each rule needs more corrupt
 * neighbours to frame it than the threat model allows (or evidence only the client itself could give).
 */
export enum CulpritReason {
  /** Its share ciphertexts failed to open at more than max(C, 1) distinct neighbours. */
  BadShareCiphertexts = 1,
  /** Its unmask shares disagreed with the verified secrets of more than max(C, 1) distinct owners. */
  WrongUnmaskShares = 2,
  /** It revealed an unmask share that is not a field element or has the wrong length; it checked range itself in ShareCheck. */
  MalformedUnmaskShare = 3,
}

export interface CulpritRecord {
  readonly reason: CulpritReason;
  readonly detail: string;
}

/** Why a session ended without a result. */
export enum AbortReason {
  /** Fewer clients than the threshold remained in some phase. */
  TooFewClients = 1,
  /** Some owner's secret could not be rebuilt from the shares that arrived. */
  TooFewShares = 2,
  /** Shares for some owner rebuilt a secret that does not match its commitment or public key. */
  InconsistentShares = 3,
}

export class SecAggAbortedError extends Error {
  override readonly name = 'SecAggAbortedError';
  constructor(
    readonly reason: AbortReason,
    readonly detail: string,
  ) {
    super(`secure aggregation aborted (${AbortReason[reason]}): ${detail}`);
  }
}

/** The remote side broke the protocol (whose fault: theirs). Carries what a client refused and why. */
export class RemoteProtocolError extends Error {
  override readonly name = 'RemoteProtocolError';
}

/** This side was driven wrongly by its own caller (whose fault: ours), e.g. a message after completion. */
export class LocalProtocolError extends Error {
  override readonly name = 'LocalProtocolError';
}
