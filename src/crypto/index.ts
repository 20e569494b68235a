// The crypto area's public surface: the algorithm registry and the IKEv1 key schedule.
export * from './errors.js';
export * from './random.js';
export * from './hashes.js';
export * from './phase1-ciphers.js';
export * from './dh-groups.js';
export * from './ipsec-transforms.js';
export * from './xcbc.js';
export { derivePhase1, Phase1Keys, natDetectionHash, formulas as keymatFormulas, KEY_LOG_LEVEL } from './keymat.js';
export type { Phase1Auth, Phase1Inputs, KeymatInputs } from './keymat.js';
