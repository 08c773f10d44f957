/** RFC 8785 canonical JSON lives in `@healthit/core` (one encoding for every layer); re-exported here. */
export {
  type CanonicalPair,
  canonicalJson,
  canonicalJsonPair,
  canonicalJsonReference,
  canonicalJsonStrict,
  isSortedPlainJson,
  jsonString,
} from '@healthit/core';
