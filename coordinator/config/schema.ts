import { z } from 'zod';
import { clippingSchema, privacySchema } from '../../aggregation/privacy/privacy-schema.js';
import { aggregationSchema } from '../../aggregation/robust/rule-schema.js';
import { withLocalSchedule } from '../../aggregation/training/schedule.js';

/*
 * Every check states what it expects ("expected …"); the loader appends the value it received, so an
 * operator sees both sides of the mismatch without the schema repeating the value in each message.
 * Objects are strict because a misspelt key (`expectedDropOut`) would otherwise be silently ignored and
 * its default used, which for a security parameter is worse than refusing to start.
 */

function integer(min: number, unit = ''): z.ZodNumber {
  const message = `expected an integer >= ${min}${unit}`;
  return z.number({ invalid_type_error: message, required_error: message }).int(message).min(min, message);
}

/** Probabilities and decay rates: 1 would mean every client drops, or a moment estimate never moves. */
function fraction(): z.ZodNumber {
  const message = 'expected a number in [0, 1)';
  return z.number({ invalid_type_error: message, required_error: message }).min(0, message).lt(1, message);
}

function positive(): z.ZodNumber {
  const message = 'expected a finite number > 0';
  return z.number({ invalid_type_error: message, required_error: message }).finite(message).gt(0, message);
}

function text(what = 'a non-empty string'): z.ZodString {
  const message = `expected ${what}`;
  return z.string({ invalid_type_error: message, required_error: message }).min(1, message);
}

const deadline = (fallback: number) => integer(100, ' (milliseconds)').default(fallback);

const modelSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('logistic-regression'), inputs: integer(1) }).strict(),
  z
    .object({
      kind: z.literal('mlp'),
      inputs: integer(1),
      hidden: z
        .array(integer(1), { invalid_type_error: 'expected a list of layer widths' })
        .min(1, 'expected 1 to 8 hidden layers')
        .max(8, 'expected 1 to 8 hidden layers'),
      outputs: integer(1).default(1),
      activation: z.enum(['relu', 'tanh']).default('relu'),
    })
    .strict(),
  /** A TensorFlow.js layers-model JSON file (model.json), as written by `model.save('file://…')`. */
  z.object({ kind: z.literal('tfjs-layers'), path: text('a path to a layers-model JSON file') }).strict(),
]);

const secureAggregationSchema = z
  .object({
    /** Explicit SecAgg+ neighbourhood degree k; normally derived from the threat model below. */
    degree: integer(1).optional(),
    /** Explicit share threshold t; given together with degree or not at all. */
    threshold: integer(1).optional(),
    expectedDropout: fraction().default(0.1),
    /** Fraction of clients assumed to collude with the server. */
    corruptFraction: fraction().default(0),
    quantization: z
      .object({ clipRange: positive().default(1), levels: integer(2).default(65537) })
      .strict()
      .default({}),
    maskPrg: z.enum(['aes256ctr', 'chacha20']).default('aes256ctr'),
    /** Rounds a member proven to misbehave is left out of selection (signed into the manifest). */
    quarantineRounds: integer(0).default(10),
  })
  .strict()
  .superRefine((s, ctx) => {
    // Half a pair would silently fall back to derived values for both, so it is refused outright.
    if ((s.degree === undefined) !== (s.threshold === undefined)) {
      const missing = s.degree === undefined ? 'degree' : 'threshold';
      const given = missing === 'degree' ? 'threshold' : 'degree';
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [missing],
        message: `expected ${missing} when ${given} is given (give both, or neither to derive them)`,
      });
    }
  });

/** Reddi et al. 2021, "Adaptive Federated Optimization": server learning rate η, β1, β2 and τ (their ε). */
const adaptive = (kind: 'fedadam' | 'fedyogi') =>
  z
    .object({
      kind: z.literal(kind),
      learningRate: positive().default(0.01),
      beta1: fraction().default(0.9),
      beta2: fraction().default(0.99),
      tau: positive().default(1e-3),
    })
    .strict();

const serverOptimizerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fedavg'), learningRate: positive().default(1) }).strict(),
  adaptive('fedadam'),
  adaptive('fedyogi'),
]);

const LISTEN = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/i;

/** Splits 'host:port' or '[ipv6]:port'; undefined when malformed or the port is outside 0–65535. */
export function splitListen(listen: string): { host: string; port: number } | undefined {
  const match = LISTEN.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

/** Decodes an Ed25519 public key written as 64 hex characters or 44 base64 characters; undefined if neither. */
export function decodePublicKey(key: string): Uint8Array | undefined {
  if (/^[0-9a-f]{64}$/i.test(key)) return new Uint8Array(Buffer.from(key, 'hex'));
  if (key.length !== 44 || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return undefined;
  const bytes = Buffer.from(key, 'base64');
  // Re-encoding rejects non-canonical spellings, which would let one key appear under two strings.
  return bytes.length === 32 && bytes.toString('base64') === key ? new Uint8Array(bytes) : undefined;
}

function keyProblem(key: string): string | undefined {
  if (decodePublicKey(key)) return undefined;
  if (/^[0-9a-f]*$/i.test(key)) return `expected 64 hex characters (32 bytes), got ${key.length} characters`;
  if (key.length === 44) {
    const bytes = Buffer.from(key, 'base64').length;
    return `expected 44 base64 characters encoding exactly 32 bytes, got ${bytes} bytes or a non-canonical spelling`;
  }
  return `expected an Ed25519 public key as 64 hex or 44 base64 characters, got ${key.length} characters`;
}

const memberSchema = z
  .object({
    name: text('a member name').regex(
      /^[a-z0-9][a-z0-9._-]{0,63}$/i,
      "expected a name of 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    publicKey: text('an Ed25519 public key').superRefine((key, ctx) => {
      const message = keyProblem(key);
      if (message) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    }),
  })
  .strict();

const membersSchema = z
  .array(memberSchema, { invalid_type_error: 'expected a list of members' })
  .min(3, 'expected at least 3 members (secure aggregation needs 3 clients)')
  .superRefine((members, ctx) => {
    // Names become directory and metric labels, so names differing only in case would collide on some
    // file systems. Keys are compared decoded, so one key in hex and in base64 is still a duplicate.
    const seen = new Map<string, number>();
    const claim = (i: number, field: 'name' | 'publicKey', value: string): void => {
      const first = seen.get(`${field}:${value}`);
      if (first === undefined) seen.set(`${field}:${value}`, i);
      else {
        const message = `expected a unique ${field} (members[${first}] has the same one)`;
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, field], message });
      }
    };
    members.forEach((m, i) => {
      claim(i, 'name', m.name.toLowerCase());
      const key = decodePublicKey(m.publicKey); // an undecodable key already has its own problem
      if (key) claim(i, 'publicKey', Buffer.from(key).toString('hex'));
    });
  });

export const federationConfigSchema = z
  .object({
    name: text('a federation name'),
    model: modelSchema,
    rounds: integer(1),
    clientsPerRound: integer(3),
    /** Fewest clients a round may start with; at most clientsPerRound (checked by the loader). */
    minimumClients: integer(3),
    deadlines: z
      .object({
        advertiseKeys: deadline(10_000),
        /** Per roster attempt: members reveal their graph nonce. */
        graphNonce: deadline(10_000),
        shareKeys: deadline(10_000),
        /** Members report which neighbours' share bundles they could not open. */
        shareCheck: deadline(10_000),
        maskedInput: deadline(10_000),
        consistencyCheck: deadline(10_000),
        unmasking: deadline(10_000),
        training: deadline(120_000),
      })
      .strict()
      .default({}),
    aggregation: aggregationSchema.default({}),
    secureAggregation: secureAggregationSchema.default({}),
    privacy: privacySchema.default({}),
    serverOptimizer: serverOptimizerSchema.default({ kind: 'fedavg' }),
    training: withLocalSchedule(
      z
        .object({
          epochs: integer(1).optional(),
          /** Minibatches per round instead of epochs (every member then does the same work). */
          steps: integer(1).optional(),
          batchSize: integer(1).default(32),
          learningRate: positive().default(0.05),
          /** L2 bound on each update; with adaptive clipping, the bound of the first round. */
          clipNorm: positive().default(1),
          /** Examples beyond which a member's weight in the average stops growing. */
          exampleCap: integer(1).default(1000),
          clipping: clippingSchema.default({ kind: 'fixed' }),
        })
        .strict(),
    ).default({}),
    dataDir: text('a directory path').default('./cohort-data'),
    listen: text("an address 'host:port'")
      .refine((l) => splitListen(l) !== undefined, "expected 'host:port' with a port in 0-65535")
      .default('127.0.0.1:50051'),
    tls: z
      .object({
        cert: text('a certificate path'),
        key: text('a key path'),
        clientCa: text('a CA path').optional(),
      })
      .strict()
      .optional(),
    logging: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        file: text('a path').optional(),
      })
      .strict()
      .default({}),
    members: membersSchema,
    /**
     * The signed federation manifest (`cohort federation sign`), relative to this file; the coordinator
     * serves it to members and refuses to start when it does not describe this file.
     */
    manifest: text('a path to a signed manifest').optional(),
    /** Development only: start without a signed manifest (members can then pin only its hash). */
    insecureNoManifest: z.boolean({ invalid_type_error: 'expected true or false' }).default(false),
  })
  .strict();

export type FederationConfig = z.infer<typeof federationConfigSchema>;
export type FederationInput = z.input<typeof federationConfigSchema>;
export type ModelConfig = FederationConfig['model'];
export type SecureAggregationConfig = FederationConfig['secureAggregation'];
export type AggregationConfig = FederationConfig['aggregation'];
export type RobustRuleSettings = NonNullable<AggregationConfig['rule']>;
export type PrivacyConfig = FederationConfig['privacy'];
export type ServerOptimizerConfig = FederationConfig['serverOptimizer'];
export type MemberConfig = FederationConfig['members'][number];
