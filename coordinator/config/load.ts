import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { InvalidArgumentError, UnsafeParametersError } from '../../aggregation/errors.js';
import type { SecAggParameters } from '../../aggregation/secagg/parameters.js';
import { roundParameters } from '../../aggregation/secagg/pinned-parameters.js';
import { checkNoWrap } from '../../aggregation/vector/quantize.js';
import {
  ConfigError,
  formatPath,
  problemsFromIssue,
  type ConfigProblem,
  type PathSegment,
  type RawProblem,
} from './errors.js';
import { createRobustRule } from '../../aggregation/robust/index.js';
import {
  federationConfigSchema,
  type AggregationConfig,
  type FederationConfig,
  type SecureAggregationConfig,
} from './schema.js';

/**
 * Parses and checks a federation file's text. Throws one ConfigError carrying every problem found: YAML
 * syntax errors alone if the text is not YAML, else every schema problem plus every cross-field problem
 * whose fields are themselves valid (a check on an invalid field would only repeat its problem).
 */
export function parseFederationConfig(text: string, source = 'federation file'): FederationConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: '', message: `YAML syntax: ${e.message}`, line, column: col };
      }),
    );
  }
  const input: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = federationConfigSchema.safeParse(input);
  const raw = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => problemsFromIssue(issue, input))),
    ...crossFieldProblems(input),
  ];
  if (raw.length > 0 || !parsed.success) {
    // In file order, so the list reads alongside the file; problems with no position go last.
    const problems = dedupe(raw).map(locate(doc, lineCounter));
    problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
    throw new ConfigError(source, problems);
  }
  return parsed.data;
}

/** Reads a federation file; the ConfigError names the file, so an operator knows which one to fix. */
export async function loadFederationConfig(path: string): Promise<FederationConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(path, [{ path: '', message: `cannot read the federation file: ${reason}` }]);
  }
  return parseFederationConfig(text, path);
}

/**
 * The SecAgg+ degree k and threshold t for a round of clientsPerRound clients, as members derive them
 * from the signed manifest (every corrupt member of the federation assumed in the round): the
 * configured pair if given (checked against the privacy bound), else derived. Throws ConfigError if
 * there are none.
 */
export function resolveSecAggParameters(config: FederationConfig): SecAggParameters {
  const result = secAggParameters(config.clientsPerRound, config.members.length, config.secureAggregation);
  if ('problem' in result) throw new ConfigError('federation config', [located(result.problem)]);
  return result.parameters;
}

type SecAggResult = { parameters: SecAggParameters } | { problem: RawProblem };

function secAggParameters(clients: number, federationSize: number, s: SecureAggregationConfig): SecAggResult {
  const at = (field: PathSegment): PathSegment[] => ['secureAggregation', field];
  try {
    const { degree, threshold } = roundParameters(
      {
        federationSize: Math.max(federationSize, clients),
        corruptFraction: s.corruptFraction,
        dropoutRate: s.expectedDropout,
        ...(s.degree === undefined ? {} : { degree: s.degree }),
        ...(s.threshold === undefined ? {} : { threshold: s.threshold }),
      },
      clients,
    );
    return { parameters: { clients, degree, threshold } };
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      // The core names its own argument; map it back to the field the operator wrote.
      const field = error.field === 'clients' ? ['clientsPerRound'] : at(error.field);
      const detail = error.message.slice(error.field.length + 2).replace(/^need /, 'expected ');
      return { problem: { at: field, message: `${detail} (clientsPerRound = ${clients})` } };
    }
    if (error instanceof UnsafeParametersError)
      return { problem: { at: ['secureAggregation'], message: error.message } };
    throw error;
  }
}

/**
 * Rules spanning sections. Each section is re-validated on its own so that a mistake elsewhere in the
 * file does not hide these problems (zod stops at the first invalid object for cross-field rules).
 */
function crossFieldProblems(input: unknown): RawProblem[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [];
  const fields = input as Record<string, unknown>;
  const shape = federationConfigSchema.shape;
  const valid = <T>(result: { success: true; data: T } | { success: false }): T | undefined =>
    result.success ? result.data : undefined;
  const perRound = valid(shape.clientsPerRound.safeParse(fields.clientsPerRound));
  const minimum = valid(shape.minimumClients.safeParse(fields.minimumClients));
  const secAgg = valid(shape.secureAggregation.safeParse(fields.secureAggregation));
  const aggregation = valid(shape.aggregation.safeParse(fields.aggregation));
  const privacy = valid(shape.privacy.safeParse(fields.privacy));
  const training = valid(shape.training.safeParse(fields.training));
  const problems: RawProblem[] = [];
  if (fields.manifest !== undefined && fields.insecureNoManifest === true)
    problems.push({
      at: ['insecureNoManifest'],
      message: 'expected false (or no insecureNoManifest) when a manifest is given',
    });
  if (minimum !== undefined && perRound !== undefined && minimum > perRound) {
    const message = `expected at most clientsPerRound (${perRound}), got ${minimum}`;
    problems.push({ at: ['minimumClients'], message });
  }
  if (perRound !== undefined && Array.isArray(fields.members) && perRound > fields.members.length) {
    const message = `expected at most the number of members (${fields.members.length}), got ${perRound}`;
    problems.push({ at: ['clientsPerRound'], message });
  }
  if (aggregation !== undefined && perRound !== undefined && minimum !== undefined)
    problems.push(...robustRuleProblems(aggregation, minimum));
  if (privacy !== undefined && privacy.mode !== 'none' && aggregation?.mode === 'robust')
    problems.push({
      at: ['privacy', 'mode'],
      message:
        'expected none with aggregation mode robust: a robust rule over plaintext updates has no sensitivity bound to calibrate noise to (use secure or secure+robust)',
    });
  const clipping = training?.clipping;
  if (clipping?.kind === 'adaptive' && privacy?.mode === 'distributed')
    problems.push({
      at: ['training', 'clipping', 'kind'],
      message:
        'expected fixed clipping with distributed privacy (members calibrate their noise to a fixed bound)',
    });
  if (
    clipping?.kind === 'adaptive' &&
    privacy?.mode === 'central' &&
    privacy.noiseMultiplier !== undefined &&
    !(2 * clipping.bitNoiseStddev > privacy.noiseMultiplier)
  )
    problems.push({
      at: ['training', 'clipping', 'bitNoiseStddev'],
      message: `expected more than noiseMultiplier / 2 = ${privacy.noiseMultiplier / 2}, or the clip bits alone would spend the whole privacy budget`,
    });
  // In robust mode k, t and the quantizer are never used, so they cannot make a round unsafe. With
  // buckets, each secure aggregation covers one bucket: at least bucketSize and under twice that.
  const securedClients =
    aggregation?.mode === 'robust'
      ? undefined
      : aggregation?.mode === 'secure+robust'
        ? aggregation.bucketSize === undefined || perRound === undefined
          ? undefined
          : Math.min(perRound, 2 * aggregation.bucketSize - 1)
        : perRound;
  if (securedClients !== undefined && secAgg !== undefined) {
    const members = Array.isArray(fields.members) ? fields.members.length : securedClients;
    const result = secAggParameters(securedClients, members, secAgg);
    if ('problem' in result) problems.push(result.problem);
    else problems.push(...smallerRoundProblems(securedClients, members, secAgg, minimum, aggregation));
    try {
      checkNoWrap(secAgg.quantization, securedClients);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError || error instanceof UnsafeParametersError)) throw error;
      problems.push({ at: ['secureAggregation', 'quantization', 'levels'], message: error.message });
    }
  }
  return problems;
}

/**
 * The largest secure aggregation passed; a round may also start smaller: with any n from minimumClients
 * up in secure mode, or (secure+robust) with buckets of any size from bucketSize up to twice that less
 * one. Members derive k and t for the size they are given, so every such size needs safe parameters,
 * or a round that size would start and abort, and a federation could end having trained nothing.
 */
function smallerRoundProblems(
  largest: number,
  members: number,
  s: SecureAggregationConfig,
  minimum: number | undefined,
  aggregation: AggregationConfig | undefined,
): RawProblem[] {
  const bucketed = aggregation?.mode === 'secure+robust';
  const smallest = bucketed ? aggregation.bucketSize : minimum;
  if (smallest === undefined || smallest < 3 || smallest >= largest) return [];
  const failing: { n: number; reason: string }[] = [];
  for (let n = smallest; n < largest; n++) {
    const result = secAggParameters(n, members, s);
    if ('problem' in result)
      failing.push({ n, reason: result.problem.message.replace(/ \(clientsPerRound = \d+\)$/, '') });
  }
  if (failing.length === 0) return [];
  const sizes = failing.map((f) => f.n).join(', ');
  const first = failing[0]!;
  // Every size from here up to the largest is safe: the smallest minimum (or bucket size) that works.
  const safeFrom = failing[failing.length - 1]!.n + 1;
  const threat = `expectedDropout ${s.expectedDropout}, corruptFraction ${s.corruptFraction}, ${members} members`;
  if (bucketed)
    return [
      {
        at: ['aggregation', 'bucketSize'],
        message:
          `buckets of ${sizes} members are possible (bucketSize ${smallest}: a bucket holds up to ${largest}) ` +
          `but have no safe secure-aggregation parameters with ${threat} (n = ${first.n}: ${first.reason}); ` +
          `raise bucketSize to ${safeFrom} or more, or lower expectedDropout`,
      },
    ];
  return [
    {
      at: ['minimumClients'],
      message:
        `a round may start with ${sizes} members (minimumClients ${smallest}, clientsPerRound ${largest}) ` +
        `but there are no safe secure-aggregation parameters for ${failing.length === 1 ? 'that size' : 'those sizes'} ` +
        `with ${threat} (n = ${first.n}: ${first.reason}); raise minimumClients to ${safeFrom}, or lower expectedDropout`,
    },
  ];
}

/** Whether the robust rule can run on the updates (or bucket means) a round is guaranteed to have. */
function robustRuleProblems(aggregation: AggregationConfig, minimum: number): RawProblem[] {
  if (aggregation.rule === undefined) return [];
  if (
    aggregation.mode === 'secure+robust' &&
    aggregation.bucketSize !== undefined &&
    aggregation.bucketSize > minimum
  )
    return [
      {
        at: ['aggregation', 'bucketSize'],
        message: `expected at most minimumClients (${minimum}), got ${aggregation.bucketSize}`,
      },
    ];
  let rule;
  try {
    rule = createRobustRule(aggregation.rule);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    return [
      { at: ['aggregation', 'rule', error.field], message: error.message.slice(error.field.length + 2) },
    ];
  }
  const needed = rule.minClients();
  const guaranteed =
    aggregation.mode === 'secure+robust' ? Math.floor(minimum / aggregation.bucketSize!) : minimum;
  if (guaranteed >= needed) return [];
  const message =
    aggregation.mode === 'secure+robust'
      ? `${rule.name} needs at least ${needed} buckets, but minimumClients ${minimum} with bucketSize ${aggregation.bucketSize} guarantees ${guaranteed}`
      : `${rule.name} needs at least ${needed} updates, but a round may start with minimumClients ${minimum}`;
  return [{ at: ['aggregation', 'rule'], message }];
}

function dedupe(problems: RawProblem[]): RawProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${formatPath(p.at)}\n${p.message}`;
    return !seen.has(key) && seen.add(key) !== undefined;
  });
}

function located(p: RawProblem): ConfigProblem {
  return { path: formatPath(p.at), message: p.message };
}

/** Points at the offending value, or at the nearest enclosing section when the value is missing. */
function locate(doc: Document, lines: LineCounter): (p: RawProblem) => ConfigProblem {
  return (p) => {
    for (let depth = p.at.length; depth >= 0; depth--) {
      const node: unknown = depth === 0 ? doc.contents : doc.getIn(p.at.slice(0, depth), true);
      if (isNode(node) && node.range) {
        const { line, col } = lines.linePos(node.range[0]);
        return { ...located(p), line, column: col };
      }
    }
    return located(p);
  };
}
