/**
 * The two ward gateways. Each has a firmware cache that its devices fetch every update file through
 * (metadata of both repositories, images, manifests, proofs): one upstream download per file, and
 * every image checked against the image repository's signed targets before it is cached.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { TufClient, type UpdateFetcher } from '@healthit/core/updates/tuf';
import { createFirmwareCache, type FirmwareCache, tufImageVerifier } from '@healthit/gateway';
import type { Platform } from './release.js';

/** A gateway as the simulation sees it. */
export interface SimGateway {
  readonly id: string;
  readonly wards: readonly string[];
  /** What devices behind it fetch through. */
  readonly cache: FirmwareCache;
  /** Files fetched from the platform, by path (images under `targets/`). */
  readonly upstreamRequests: Map<string, number>;
}

/** Creates the gateways, splitting the wards between them. */
export async function createGateways(
  platform: Platform,
  wards: readonly string[],
  workDir: string,
): Promise<readonly SimGateway[]> {
  const split = Math.ceil(wards.length / 2);
  const groups = [wards.slice(0, split), wards.slice(split)];
  return Promise.all(
    groups.map(async (group, i) => {
      const upstreamRequests = new Map<string, number>();
      const upstream: UpdateFetcher = {
        fetch(path, options) {
          upstreamRequests.set(path, (upstreamRequests.get(path) ?? 0) + 1);
          return platform.upstream.fetch(path, options);
        },
      };
      // The gateway's own client of the image repository: what its cache checks images against.
      const client = await TufClient.create({
        metadataDir: await mkdtemp(join(workDir, `gw-${i + 1}-`)),
        trustedRoot: platform.trust.imagesRoot,
        fetcher: upstream,
      });
      const cache = createFirmwareCache({ upstream, verifyImage: tufImageVerifier(client), freshMs: 250 });
      return { id: `gw-${i + 1}`, wards: group, cache, upstreamRequests };
    }),
  );
}

/** Images (files under `targets/`) a gateway fetched from the platform, and how often each. */
export function upstreamImageFetches(gateway: SimGateway): ReadonlyMap<string, number> {
  return new Map([...gateway.upstreamRequests].filter(([path]) => path.startsWith('targets/')));
}
