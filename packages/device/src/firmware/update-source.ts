import type { VerifiedUpdate } from '@healthit/core/updates';

/** What the device asks its update source for. */
export interface UpdateSourceRequest {
  /** The device's hardware id, e.g. `po-200.rev-a`. */
  readonly hardwareId: string;
  /** The TUF target the platform's command named, when the update was commanded. */
  readonly targetPath?: string;
  /** The version the command named, when the update was commanded. */
  readonly version?: string;
  /** What the device runs now (the Uptane director assigns images by it). */
  readonly installed: { readonly version: string; readonly sequence: number };
  /** The device's anti-rollback counter: an image must carry a sequence above it. */
  readonly antiRollbackCounter: number;
}

/**
 * Where the update agent gets an image from: the port the verifying client plugs into (TUF
 * metadata of the image repository and the director, the SUIT manifest, the ledger's
 * `firmware.authorize` proof — through the device's gateway). The agent installs only what this
 * returns, and re-checks what it can (hardware id, anti-rollback, digest of its private copy).
 */
export interface UpdateSource {
  /**
   * Downloads and verifies the image for `request`. Resolves to the verified update, or rejects
   * with an `UpdateRejectedError` (a check refused the image) or another error (not available:
   * e.g. `update/unavailable`). The agent copies the image at receipt, so the source may reuse its
   * buffer afterwards.
   */
  fetch(request: UpdateSourceRequest): Promise<VerifiedUpdate>;
}

/**
 * A source that always offers the same verified update (tests, demos, or a verifying client's
 * result handed over as is).
 * @example
 * ```ts
 * agent.update(fixedUpdateSource(await verifyingClient.fetch(target)), { campaignId: 'c-7' });
 * ```
 */
export function fixedUpdateSource(update: VerifiedUpdate): UpdateSource {
  return { fetch: async () => update };
}
