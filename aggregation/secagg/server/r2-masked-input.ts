import type { ClientId } from '../graph.js';
import type { ClientMessage } from '../messages.js';
import { DropReason } from '../reasons.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { ConsistencyCheckState } from './r3-consistency-check.js';
import { belowThreshold } from './terminal.js';

interface Upload {
  received: number;
  /** Chunks already added to the sum, kept only until the input is whole so a drop can take them back out. */
  readonly chunks: { readonly offset: number; readonly words: Uint32Array }[];
}

/**
 * R2: folds masked inputs into the one running sum as chunks arrive, so memory stays O(d) however many
 * clients there are. A client dropped half-way has its chunks subtracted again: a partial y would
 * leave masks in the sum that nothing can remove.
 */
export class MaskedInputState implements ServerState {
  readonly phase = 'masked-input';
  private readonly uploads = new Map<ClientId, Upload>();
  private readonly complete = new Set<ClientId>();

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    if (message.kind !== 'masked-input' || this.complete.has(from))
      return wrongKind(from, message, this, ctx);
    const upload = this.uploads.get(from) ?? { received: 0, chunks: [] };
    const { offset, words } = message;
    const dimension = ctx.config.dimension;
    if (offset !== upload.received || words.length === 0 || offset + words.length > dimension) {
      return ctx.drop(
        from,
        this.phase,
        DropReason.MalformedMaskedInput,
        `chunk at word ${offset} with ${words.length} words; expected word ${upload.received}, ending by ${dimension}`,
      );
    }
    ctx.sum.add(words, offset);
    upload.received += words.length;
    if (upload.received === dimension) {
      this.uploads.delete(from);
      this.complete.add(from);
    } else {
      upload.chunks.push({ offset, words });
      this.uploads.set(from, upload);
    }
  }

  onDrop(id: ClientId, ctx: ServerContext): void {
    const upload = this.uploads.get(id);
    if (upload !== undefined) for (const chunk of upload.chunks) ctx.sum.subtract(chunk.words, chunk.offset);
    this.uploads.delete(id);
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    return [...ctx.active].filter((id) => !this.complete.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    // A client whose input arrived whole stays a survivor even if it disconnects now: its masks are in the sum.
    const survivors = [...this.complete].sort((a, b) => a - b);
    const aborted = belowThreshold(ctx, survivors.length, 'sent their masked input');
    if (aborted) return aborted;
    ctx.survivors = survivors;
    const message = { kind: 'survivor-list', survivors } as const;
    for (const id of survivors) if (ctx.active.has(id)) ctx.send(id, message);
    return new ConsistencyCheckState();
  }
}
