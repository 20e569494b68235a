// Public face of the policy module: KeyNote (RFC 2704) and isakmpd.policy(5) support.
export { parseAssertion, signedText, FIELD_NAMES, type Assertion, type ParseResult } from './assertion.js';
export { AssertionSet, evaluateQuery, POLICY, type Attributes, type Query, type QueryResult } from './compliance.js';
export { formatDiagnostic, type Diagnostic } from './errors.js';
export { canonicalPrincipal, generateKey, decodePublicKey, parseCertificate, type GeneratedKey } from './keys.js';
export { signText, verifyAssertion, textToSign, SIGNATURE_ALGORITHMS, type VerifyResult } from './signature.js';
export { displayPrincipal, judgeAssertions, explainRefusal, type AssertionVerdict } from './explain.js';
export {
  buildActionAttributes, buildPhase1Attributes, identityText, padAddress, ISAKMPD_ATTRIBUTE_NAMES, AttributeInputError,
  type QuickModeDecisionInput, type Phase1DecisionInput, type ProtocolInput, type IdentityInput,
} from './isakmpd/attributes.js';
export { loadPolicyFile, parsePolicyText, reloadPolicyFile, hasErrors, DEFAULT_POLICY_FILE, type Policy, type PolicyLoad, type PolicyReload } from './isakmpd/policy-file.js';
export {
  checkQuickMode, checkPhase1, admitCredentials, keynoteEnabled, principalsForPsk, principalsForCert, principalsForCertificate, certificateCredentials, chainCredentials, ISAKMPD_VALUES,
  type Decision, type CheckOptions, type CredentialAdmission,
} from './isakmpd/check.js';
