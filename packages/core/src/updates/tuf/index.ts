/**
 * TUF repositories and client, and an Uptane-style director, over `@tufjs/models` and `tuf-js`.
 * Node only (tuf-js keeps its trusted metadata on disk).
 */
export {
  type DirectorDevice,
  type DirectorImage,
  DirectorRepository,
  directorImage,
} from './director-repository.js';
export { assertDistinctKeys } from './distinct-keys.js';
export { compareFirmwareVersions, isFirmwareVersion } from './firmware-version.js';
export { readBounded } from './read-bounded.js';
export { repositoryFetcher, type UpdateFileSource } from './repository-fetcher.js';
export { signMetadata, type TufMetadataKind, tufExpires } from './sign-metadata.js';
export { assertTargetPath, hashPrefixedPath, isTargetPath } from './target-path.js';
export {
  TufClient,
  type TufClientOptions,
  type TufDownloadedTarget,
  type TufMetadataLimits,
  type TufTargetInfo,
  type TufTrustedVersions,
} from './tuf-client.js';
export { type TufErrorContext, tufErrorToUpdateError } from './tuf-error-mapping.js';
export { createTufKey, type TufKey, type TufKeyJson, tufKeyId, tufKeyJson } from './tuf-key.js';
export {
  TUF_METADATA_PREFIX,
  TUF_SPEC_VERSION,
  TUF_TARGETS_PREFIX,
  type TufAddTargetOptions,
  type TufDelegationOptions,
  type TufPublished,
  TufRepository,
  type TufRepositoryOptions,
  type TufRoleKeysOptions,
  type TufTargetDescription,
  type TufTargetReference,
  type TufTopLevelRole,
} from './tuf-repository.js';
export { type UpdateFetcher, type UpdateFetchOptions, UpdateFileNotFoundError } from './update-fetcher.js';
export {
  type AssignedImage,
  type ImageAssignment,
  UptaneClient,
  type UptaneClientOptions,
} from './uptane-client.js';
export { DirectorTargetCustom, ImageTargetCustom } from './uptane-custom.js';
export {
  AUTHORISATION_TARGET_SUFFIX,
  releaseTargetPaths,
  SUIT_TARGET_SUFFIX,
  type VerifyingUpdateRequest,
  type VerifyingUpdateSource,
  type VerifyingUpdateSourceOptions,
  verifyingUpdateSource,
} from './verifying-update-source.js';
