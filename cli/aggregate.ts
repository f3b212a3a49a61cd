import { InvalidArgumentError } from '../aggregation/errors.js';
import { createRobustRule, type RobustRuleConfig } from '../aggregation/robust/index.js';

/** `cohort aggregate` options: the rule and its parameters, as given on the command line. */
export interface AggregateOptions {
  readonly rule: string;
  /** --byzantine f: krum, multi-krum, bulyan. */
  readonly byzantine?: number | undefined;
  /** --trim beta: trimmed-mean. */
  readonly trim?: number | undefined;
  /** --select m: multi-krum (default n-f-2). */
  readonly select?: number | undefined;
  /** --bound M: norm-bound. */
  readonly bound?: number | undefined;
  /** --radius tau: cclip (default the median distance from the starting centre). */
  readonly radius?: number | undefined;
}

/** Which options each rule takes; any other option given is a usage error rather than silently ignored. */
const RULE_OPTIONS: Record<string, readonly (keyof AggregateOptions)[]> = {
  fedavg: [],
  median: [],
  'trimmed-mean': ['trim'],
  krum: ['byzantine'],
  'multi-krum': ['byzantine', 'select'],
  bulyan: ['byzantine'],
  geomed: [],
  cclip: ['radius'],
  'norm-bound': ['bound'],
};

const PARAMETERS = ['byzantine', 'trim', 'select', 'bound', 'radius'] as const;

/**
 * The logic of `cohort aggregate`: combines the updates of `input`, JSON of the form
 * `{"updates": [[...], ...], "weights": [...], "centre": [...]}` (weights and centre optional; centre
 * only for cclip), with the rule of `options`, and returns the JSON text
 * `{"rule": ..., "result": [...], "selected": [...], "influence": [...]}`. Every problem throws
 * InvalidArgumentError naming the field, e.g. `updates[3][7]: expected a finite number, got "x"`.
 * Result values are written with the fewest digits that read back as the same float32.
 */
export function runAggregate(options: AggregateOptions, input: string): string {
  const config = ruleConfig(options);
  const rule = createRobustRule(config);
  const { updates, weights, centre } = parseInput(input);
  if (centre !== undefined && options.rule !== 'cclip') {
    throw new InvalidArgumentError('centre', `only cclip starts from a centre, not ${options.rule}`);
  }
  const out = rule.aggregate({
    updates,
    ...(weights !== undefined ? { weights } : {}),
    ...(centre !== undefined ? { centre } : {}),
  });
  return JSON.stringify({
    rule: out.rule,
    result: Array.from(out.result, shortestFloat32),
    selected: out.selected,
    influence: Array.from(out.influence),
  });
}

function ruleConfig(options: AggregateOptions): RobustRuleConfig {
  const accepted = Object.hasOwn(RULE_OPTIONS, options.rule) ? RULE_OPTIONS[options.rule] : undefined;
  if (accepted === undefined) {
    throw new InvalidArgumentError(
      'rule',
      `unknown rule '${options.rule}'; expected one of ${Object.keys(RULE_OPTIONS).join(', ')}`,
    );
  }
  const config: Record<string, unknown> = { rule: options.rule };
  for (const parameter of PARAMETERS) {
    const value = options[parameter];
    if (value === undefined) continue;
    if (!accepted.includes(parameter)) {
      throw new InvalidArgumentError(parameter, `not used by rule ${options.rule}`);
    }
    config[parameter] = value;
  }
  return config as unknown as RobustRuleConfig;
}

interface ParsedInput {
  readonly updates: Float32Array[];
  readonly weights: number[] | undefined;
  readonly centre: Float32Array | undefined;
}

function parseInput(input: string): ParsedInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch (error) {
    throw new InvalidArgumentError('input', `not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('input', 'expected an object {"updates": [[...], ...], "weights": [...]}');
  }
  const fields = parsed as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'updates' && key !== 'weights' && key !== 'centre') {
      throw new InvalidArgumentError(key, 'unknown field; expected updates, weights or centre');
    }
  }
  if (!Array.isArray(fields['updates'])) {
    throw new InvalidArgumentError('updates', 'expected an array of updates, each an array of numbers');
  }
  const updates = fields['updates'].map((update: unknown, i) => toFloat32(update, `updates[${i}]`));
  const weights = fields['weights'] === undefined ? undefined : toNumbers(fields['weights'], 'weights');
  const centre = fields['centre'] === undefined ? undefined : toFloat32(fields['centre'], 'centre');
  return { updates, weights, centre };
}

/** A JSON array of finite numbers that fit float32. */
function toFloat32(value: unknown, field: string): Float32Array {
  const numbers = toNumbers(value, field);
  const out = Float32Array.from(numbers);
  out.forEach((x, j) => {
    if (!Number.isFinite(x))
      throw new InvalidArgumentError(`${field}[${j}]`, `${numbers[j]} overflows float32`);
  });
  return out;
}

function toNumbers(value: unknown, field: string): number[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(field, 'expected an array of numbers');
  return value.map((x: unknown, j) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      const shown = typeof x === 'number' ? String(x) : JSON.stringify(x);
      throw new InvalidArgumentError(`${field}[${j}]`, `expected a finite number, got ${shown}`);
    }
    return x;
  });
}

/** The shortest decimal that reads back as the same float32: 0.1, not 0.10000000149011612. */
function shortestFloat32(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}
