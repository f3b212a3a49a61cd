/**
 * The federation file an operator writes (`cohort coordinator --config federation.yaml`): its schema,
 * the loader that reports every problem at once, and the secure-aggregation parameters it implies.
 */
export { ConfigError, formatProblem, type ConfigProblem } from './errors.js';
export {
  federationManifestOf,
  loadServedManifest,
  manifestMismatches,
  type LoadedManifest,
} from './manifest.js';
export { loadFederationConfig, parseFederationConfig, resolveSecAggParameters } from './load.js';
export {
  decodePublicKey,
  federationConfigSchema,
  splitListen,
  type FederationConfig,
  type FederationInput,
  type MemberConfig,
  type ModelConfig,
  type AggregationConfig,
  type PrivacyConfig,
  type RobustRuleSettings,
  type SecureAggregationConfig,
  type ServerOptimizerConfig,
} from './schema.js';
