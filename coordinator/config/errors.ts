import type { ZodIssue } from 'zod';

/** One thing wrong with a federation file: the dotted path of the field and what was expected there. */
export interface ConfigProblem {
  /** e.g. 'secureAggregation.quantization.levels' or 'members[2].publicKey'; '' for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based position of the offending value in the file, when it can be found. */
  readonly line?: number;
  readonly column?: number;
}

/**
 * Every problem in a federation file at once: an operator fixing a file one error per restart would
 * need as many restarts as there are mistakes, so the loader collects them all before throwing.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((p) => formatProblem(source, p)).join('\n'));
  }
}

/** 'file:line:column: path: message', the shape editors and terminals turn into a link. */
export function formatProblem(source: string, p: ConfigProblem): string {
  const at = p.line === undefined ? '' : `:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
  return `${source}${at}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

export type PathSegment = string | number;

/** A problem before it is located in the YAML text. */
export interface RawProblem {
  readonly at: readonly PathSegment[];
  readonly message: string;
}

export function formatPath(at: readonly PathSegment[]): string {
  return at.reduce<string>(
    (path, s) => (typeof s === 'number' ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`),
    '',
  );
}

export function valueAt(input: unknown, at: readonly PathSegment[]): unknown {
  let value = input;
  for (const s of at) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PathSegment, unknown>)[s];
  }
  return value;
}

/** A received value, short enough for one line of a log. */
export function show(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return value instanceof Uint8Array ? 'binary data' : 'a mapping';
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    return typeof value;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
};

/**
 * Schema messages state the expectation ('expected …'); this adds what was received. Zod's own messages
 * for the issues the schema cannot word itself (types of whole sections, enums, discriminators) are
 * rewritten into the same shape. An unknown key becomes a problem at that key's own path.
 */
export function problemsFromIssue(issue: ZodIssue, input: unknown): RawProblem[] {
  const value = valueAt(input, issue.path);
  const got = (expected: string): string =>
    value === undefined ? `missing: ${expected}` : `${expected}, got ${show(value)}`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ at: [...issue.path, key], message: 'unknown key' }));
    case 'invalid_type': {
      const expected = issue.message.startsWith('expected ')
        ? issue.message
        : `expected ${TYPE_NAMES[issue.expected] ?? `one of ${issue.expected}`}`;
      return [{ at: issue.path, message: got(expected) }];
    }
    case 'invalid_enum_value':
      return [{ at: issue.path, message: got(`expected one of ${issue.options.map(show).join(', ')}`) }];
    case 'invalid_union_discriminator':
      return [{ at: issue.path, message: got(`expected one of ${issue.options.map(show).join(', ')}`) }];
    default:
      // A check that measured the value itself (a key's length) has already said what it got.
      if (value === undefined || issue.message.includes(', got '))
        return [{ at: issue.path, message: issue.message }];
      return [{ at: issue.path, message: got(issue.message) }];
  }
}
