/**
 * Secure over-the-air updates, the parts every layer shares and a browser can load: SUIT
 * manifests and image encryption, signed update commands and device reports, the ledger
 * authorisation port, the fetcher port and the typed refusal. The TUF repository and clients
 * (Node: tuf-js) are in `@healthit/core/updates/tuf`.
 * @module
 */
export * from './authorisation/index.js';
export * from './messages/index.js';
export {
  CAMPAIGN_DECISIONS,
  CAMPAIGN_PHASES,
  type CampaignDecision,
  CampaignId,
  type CampaignPhase,
  ROLLOUT_CAMPAIGN_RECORD_TYPE,
  ROLLOUT_DEVICE_STATE_RECORD_TYPE,
  RolloutCampaignBody,
  RolloutDeviceStateBody,
} from './rollout-records.js';
export * from './suit/index.js';
export {
  type UpdateFetcher,
  type UpdateFetchOptions,
  UpdateFileNotFoundError,
} from './tuf/update-fetcher.js';
export {
  UpdateRejectedError,
  type UpdateRejectedErrorOptions,
  type UpdateRejection,
} from './update-rejected-error.js';
export type { VerifiedUpdate } from './verified-update.js';
