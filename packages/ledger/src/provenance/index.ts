/**
 * Per-reading provenance: a self-contained bundle proving that one reading was anchored in a
 * witnessed transparency log (reading → batch root → log root → signed, cosigned checkpoint), and
 * its offline verifier.
 * @packageDocumentation
 */

export { type BuildProvenanceOptions, buildProvenanceBundle, type ProofSource } from './build.js';
export {
  MAX_PROOF_HASHES,
  PROVENANCE_FORMAT,
  PROVENANCE_VERSION,
  type ProvenanceBundle,
  ProvenanceBundleSchema,
} from './bundle.js';
export {
  type ProvenanceInvalid,
  type ProvenanceStep,
  ProvenanceSteps,
  type ProvenanceValid,
  type ProvenanceVerdict,
  type StepOutcome,
  type VerifyProvenanceOptions,
  verifyProvenanceBundle,
} from './verify.js';
