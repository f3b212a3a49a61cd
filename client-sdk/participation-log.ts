import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Which record of a round id already exists. */
export type ParticipationStage = 'joined' | 'masked-input';

/**
 * The coordinator asked again for something the member already did for this round id: to join a
 * round it took part in (a replay, or a restarted round reusing its id), or to send a second masked
 * input. Either would let a coordinator combine two answers for one round, e.g. average away noise.
 */
export class RepeatedRoundError extends Error {
  override readonly name = 'RepeatedRoundError';
  constructor(
    readonly roundId: string,
    readonly stage: ParticipationStage,
  ) {
    super(
      stage === 'joined'
        ? `round ${roundId} already taken part in; a round id is never answered twice`
        : `round ${roundId} already has a masked input from this member`,
    );
  }
}

/** A complete line of the log that is not a record: the file was changed by something else. */
export class ParticipationLogCorrupt extends Error {
  override readonly name = 'ParticipationLogCorrupt';
  constructor(
    readonly path: string,
    readonly line: number,
    text: string,
  ) {
    super(`${path}:${line}: not a participation record: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

const RECORD = /^(joined|masked-input) ([0-9a-f]{2,128})$/;

/**
 * The member's memory of the rounds it took part in, kept on disk so that a restart (or a new
 * connection to a restarted coordinator) does not forget it: one line per record, `joined <round id>`
 * before the member advertises keys for a round, `masked-input <round id>` before its first masked
 * chunk leaves. Each record is appended and fsync'd before the step it guards, so whatever the member
 * sent, the disk already says so.
 *
 * A crash can leave a torn last line (no newline); it recorded nothing the member acted on, since the
 * action waits for the fsync, so it is cut off when the log is opened.
 */
export class ParticipationLog {
  private readonly joined = new Set<string>();
  private readonly masked = new Set<string>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(path: string): Promise<ParticipationLog> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const log = new ParticipationLog(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await createDurably(path);
      text = '';
    }
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length) await truncate(path, Buffer.byteLength(text.slice(0, complete), 'utf8'));
    const lines = text.slice(0, complete).split('\n');
    lines.pop(); // after the last newline
    lines.forEach((line, i) => {
      const match = RECORD.exec(line);
      if (match === null) throw new ParticipationLogCorrupt(path, i + 1, line);
      (match[1] === 'joined' ? log.joined : log.masked).add(match[2]!);
    });
    return log;
  }

  hasJoined(roundId: Uint8Array): boolean {
    return this.joined.has(hex(roundId));
  }

  /** Records that the member takes part in `roundId`; throws RepeatedRoundError if it already did. */
  async begin(roundId: Uint8Array): Promise<void> {
    const id = hex(roundId);
    if (this.joined.has(id)) throw new RepeatedRoundError(id, 'joined');
    // Taken in memory before the first await, so a second call racing this one's fsync is refused too.
    this.joined.add(id);
    await this.append(`joined ${id}\n`);
  }

  /** Records that the member's masked input for `roundId` is about to leave; refuses a second one. */
  async markMaskedInput(roundId: Uint8Array): Promise<void> {
    const id = hex(roundId);
    if (this.masked.has(id)) throw new RepeatedRoundError(id, 'masked-input');
    this.masked.add(id);
    await this.append(`masked-input ${id}\n`);
  }

  private append(line: string): Promise<void> {
    const write = this.writes.then(async () => {
      const file = await open(this.path, 'a', 0o600);
      try {
        await file.write(line);
        await file.sync();
      } finally {
        await file.close();
      }
    });
    // One failed write must not stall every later one; the caller of this one sees its error.
    this.writes = write.catch(() => undefined);
    return write;
  }
}

/** An empty file whose directory entry survives a crash, so later fsyncs of the file are enough. */
async function createDurably(path: string): Promise<void> {
  const file = await open(path, 'a', 0o600);
  try {
    await file.sync();
  } finally {
    await file.close();
  }
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

function hex(roundId: Uint8Array): string {
  if (roundId.length === 0 || roundId.length > 64)
    throw new RangeError(`a round id has 1 to 64 bytes, got ${roundId.length}`);
  return Buffer.from(roundId).toString('hex');
}
