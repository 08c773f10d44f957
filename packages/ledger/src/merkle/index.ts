/**
 * RFC 9162 (Certificate Transparency v2) Merkle trees: hashes, roots, inclusion and consistency
 * proofs and their verifiers, and an append-only tree that proves any of its past sizes.
 * @packageDocumentation
 */
export { consistencyProof, verifyConsistency } from './consistency.js';
export { emptyRoot, LEAF_PREFIX, leafHash, NODE_PREFIX, nodeHash } from './hash.js';
export { inclusionProof, verifyInclusion } from './inclusion.js';
export { merkleRoot } from './root.js';
export { HASH_LENGTH, sha256, sha256Backend, sha256Native, sha256Portable } from './sha256.js';
export { createMerkleTree, type MerkleTree, type MerkleTreeOptions } from './tree.js';
export { createMemoryTreeStorage, type MemoryTreeStorageOptions, type TreeStorage } from './tree-storage.js';
