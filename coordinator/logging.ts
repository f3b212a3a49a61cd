import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Events that need an operator's attention are logged above info without every caller saying so. */
const WARNING_EVENTS = new Set([
  'round-aborted',
  'member-rejected',
  'privacy-budget-exhausted',
  'member-quarantined',
]);

export interface JsonLog {
  readonly log: (event: Record<string, unknown>) => void;
  /** Flushes and closes the file, if the log writes to one. */
  readonly close: () => Promise<void>;
}

/**
 * One JSON object per line with `time` and `level` first, the shape log shippers (Loki, Elastic,
 * CloudWatch) ingest without a parser. Written to `file` (appended, created 0640 with its directory)
 * or else to `stdout`; events below `level` are dropped.
 */
export function createJsonLog(
  options: { level: LogLevel; file?: string | undefined },
  stdout: (line: string) => void = (line) => void process.stdout.write(line),
  now: () => Date = () => new Date(),
): JsonLog {
  let stream: WriteStream | undefined;
  if (options.file !== undefined) {
    mkdirSync(dirname(options.file), { recursive: true });
    stream = createWriteStream(options.file, { flags: 'a', mode: 0o640 });
  }
  const write = stream === undefined ? stdout : (line: string) => void stream.write(line);
  return {
    log(event) {
      const level = levelOf(event);
      if (RANK[level] < RANK[options.level]) return;
      write(`${JSON.stringify({ time: now().toISOString(), level, ...event })}\n`);
    },
    close: () =>
      new Promise((resolve, reject) =>
        stream === undefined
          ? resolve()
          : stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
      ),
  };
}

function levelOf(event: Record<string, unknown>): LogLevel {
  const given = event['level'];
  if (given === 'debug' || given === 'info' || given === 'warn' || given === 'error') return given;
  return WARNING_EVENTS.has(String(event['event'])) ? 'warn' : 'info';
}
