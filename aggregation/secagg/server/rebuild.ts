import { ShareCombiner, type Share } from '../../crypto/shamir.js';
import type { ClientId } from '../graph.js';

/** A share as the server filed it: who revealed it, and where it sits on the owner's polynomial. */
export interface HeldShare extends Share {
  readonly holder: ClientId;
}

export interface Rebuilt {
  readonly secret: Uint8Array;
  /** Holders whose share was tried, found to disagree with the verified secret, and left out. */
  readonly inconsistent: readonly ClientId[];
}

/** Spares tried per rebuild: leave-one-out and leave-two-out, C(t + 2, 2) combinations at most. */
const MAX_LEFT_OUT = 2;

/**
 * Rebuilds a secret from any t consistent shares and checks it (`isRight`: against the owner's
 * commitment or public key), so a wrong share cannot pass unnoticed and cannot spoil a secret that
 * has spares. Shares of holders already caught lying elsewhere (`suspect`) go last. The first t are
 * tried, then every t-subset of the first t + 1 and t + 2; a corrupted share moves the interpolated
 * secret to an essentially random value, so a subset that verifies is all consistent. Returns
 * undefined when none verifies: the caller waits for more shares. Honest rounds pay one combination.
 * With the secret verified, the left-out shares and any suspect's share are checked against it, so a
 * holder lying for many owners is caught for each of them, not only where its share was first tried.
 */
export function rebuildChecked(
  combiner: ShareCombiner,
  shares: readonly HeldShare[],
  threshold: number,
  isRight: (secret: Uint8Array) => boolean,
  suspect: (holder: ClientId) => boolean,
  memo: RebuildMemo = {},
): Rebuilt | undefined {
  if (shares.length < threshold) return undefined;
  const ordered = [...shares.filter((s) => !suspect(s.holder)), ...shares.filter((s) => suspect(s.holder))];
  // Every subset tried lies in the first t + 2: when those are the ones that already failed, a new
  // share changes nothing, and the C(t + 2, 2) combinations are not paid again.
  const key = ordered
    .slice(0, threshold + MAX_LEFT_OUT)
    .map((s) => s.holder)
    .join(',');
  if (memo.failedWindow === key) return undefined;
  for (let spare = 0; spare <= Math.min(MAX_LEFT_OUT, ordered.length - threshold); spare++) {
    const window = ordered.slice(0, threshold + spare);
    for (const left of leaveOut(window.length, spare)) {
      const subset = window.filter((_, i) => !left.includes(i));
      const secret = tryCombine(combiner, subset, threshold);
      if (secret === undefined || !isRight(secret)) continue;
      // Which of the left-out shares, and of the suspects' shares, disagree with the verified secret:
      // each check is one more combination, paid only when something already went wrong.
      const used = new Set(subset);
      const checked = shares.filter(
        (share) => !used.has(share) && (suspect(share.holder) || window.includes(share)),
      );
      const inconsistent = checked
        .filter((share) => !sameBytes(tryCombine(combiner, [...subset.slice(1), share], threshold), secret))
        .map((share) => share.holder);
      return { secret, inconsistent };
    }
  }
  memo.failedWindow = key;
  return undefined;
}

/** Per secret: the shares (by holder, in trial order) whose every subset failed last time. */
export interface RebuildMemo {
  failedWindow?: string;
}

/** Index sets of size `count` (0, 1 or 2) out of `size`. */
function leaveOut(size: number, count: number): number[][] {
  if (count === 0) return [[]];
  const out: number[][] = [];
  for (let i = size - 1; i >= 0; i--) {
    if (count === 1) out.push([i]);
    else for (let j = i - 1; j >= 0; j--) out.push([i, j]);
  }
  return out;
}

function tryCombine(
  combiner: ShareCombiner,
  shares: readonly Share[],
  threshold: number,
): Uint8Array | undefined {
  try {
    return combiner.combine(shares, threshold);
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
