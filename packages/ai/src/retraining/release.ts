import { signedArtifactToJson } from '../artifacts/sign.js';
import type { DeployCommand } from '../lifecycle/commands.js';
import type { ModelRelease } from './retrain.js';

/** Options of {@link deployCommand}. */
export interface DeployCommandOptions {
  /** `shadow` (default) or `active` (only accepted by a gateway with no active version). */
  readonly mode?: 'shadow' | 'active';
  /** Carry the artifact as JSON (bytes base64url), as it travels over a downlink. Default false. */
  readonly json?: boolean;
}

/**
 * The `deploy` command that sends a release to a gateway's model deployment: the signed artifact,
 * its approval and its signed reference profile, in shadow by default (the gateway promotes it by
 * command or by its promotion policy).
 *
 * @example
 * ```ts
 * const result = await deployment.execute(deployCommand(outcome.release, 'redeploy-1.1.0'));
 * if (!result.ok) console.error(result.error.message); // e.g. refused: digest-mismatch
 * ```
 */
export function deployCommand(
  release: ModelRelease,
  commandId: string,
  options: DeployCommandOptions = {},
): DeployCommand {
  const { signed } = release;
  return {
    type: 'deploy',
    commandId,
    artifact:
      options.json === true
        ? signedArtifactToJson(signed)
        : { manifest: { ...signed.manifest }, sig: signed.sig, bytes: signed.bytes },
    approval: release.approval,
    profile: release.profile,
    mode: options.mode ?? 'shadow',
  };
}
