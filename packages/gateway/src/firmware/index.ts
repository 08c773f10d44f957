/**
 * The gateway's part in over-the-air updates: a verifying, bounded cache that serves update
 * metadata and images to the devices behind it.
 * @module
 */
export {
  createFirmwareCache,
  type FirmwareCache,
  type FirmwareCacheOptions,
  type FirmwareCacheStats,
  type ImageVerifier,
} from './firmware-cache.js';
export {
  type TufImageVerifierOptions,
  type TufTargetLookup,
  tufImageVerifier,
} from './tuf-image-verifier.js';
