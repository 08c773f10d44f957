/**
 * Secure firmware update on the device: simulated A/B firmware storage with atomic record writes
 * and a power-loss injector, a bootloader with trial boots, rollback and an anti-rollback counter,
 * and the update agent that installs only what was verified (check-then-swap), self-tests the new
 * image on its trial boot, then confirms it or rolls back. Browser-safe (WebCrypto SHA-256).
 * @packageDocumentation
 */
export {
  BootError,
  type BootedImage,
  type BootOptions,
  type BootResult,
  bootFirmware,
  DEFAULT_MAX_TRIAL_BOOTS,
  type RolledBackImage,
} from './bootloader.js';
export { firmwareDigest } from './digest.js';
export {
  BootControl,
  cloneMedium,
  createFirmwareStorage,
  type FirmwareMedium,
  type FirmwareStorage,
  type FirmwareStorageOptions,
  otherSlot,
  type SlotId,
  SlotRecord,
  SlotState,
} from './firmware-storage.js';
export {
  cutPowerAt,
  type FirmwareRecordKey,
  PowerLossError,
  type PowerLossInjector,
  recordWritePoints,
  type WritePoint,
} from './power-loss.js';
export { type FactoryImage, provisionFirmware } from './provision.js';
export { type FirmwareSelfTest, type SelfTestReading, sensorSelfTest } from './sensor-self-test.js';
export {
  createUpdateAgent,
  DEFAULT_FIRMWARE_CHUNK_BYTES,
  DEFAULT_FIRMWARE_SLOT_BYTES,
  DEFAULT_SELF_TEST_TIMEOUT_MS,
  type FirmwareStatus,
  type UpdateAgent,
  type UpdateAgentOptions,
  type UpdateRequest,
  type UpdateStateChange,
} from './update-agent.js';
export { fixedUpdateSource, type UpdateSource, type UpdateSourceRequest } from './update-source.js';
