// Public face of the configuration module: what the daemon, the CLI and the other modules import.
export { Config, type LoadResult } from './config.js';
export { parseConfigText, loadConfigFile, defaultsOnlyConfig, type ParseOptions, type LoadOptions } from './load.js';
export { reloadConfig, type ReloadResult } from './reload.js';
export {
  ConfigTransaction, parseFifoConfigCommand, runFifoConfigCommand,
  type CommitResult, type OpResult, type FifoConfigCommand, type FifoConfigResult,
} from './transaction.js';
export { dumpConfig, configToJson, effectiveSections, type EffectiveSection, type DumpOptions } from './dump.js';
export { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic, type Severity } from './diagnostics.js';
export { atoi, splitList, parseOfferAccept, matchOfferAccept, decodePresharedKey, type OfferAccept } from './values.js';
export { describeGenerated, parseMainModeName, parseQmBase, type Generated } from './autogen.js';
export { checkFileSecrecy, INSECURE_ENV } from './secrecy.js';
export { legacyCipherDiagnostics } from './legacy.js';
export { DEFAULT_CONFIG_FILE, CODE_FALLBACKS, DEFAULT_PHASE2_SUITES_FALLBACK } from './defaults.js';
export { defaultPhase2Suites, parsePort, presharedKeyFor } from './model.js';
export type {
  Peer, Connection, Phase1Proposal, IsakmpTransform, Lifetime, IpsecSuite, IpsecProtocol, IpsecTransform,
  Phase1Id, IpsecId, InitiatorIdSection, General, X509Settings, KeyNoteSettings,
} from './model.js';
export type { Binding, Origin } from './store.js';
