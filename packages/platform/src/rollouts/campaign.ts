import { parseJsonText, safeParse, type ValidationError } from '@healthit/core';
import { CampaignId } from '@healthit/core/updates';
import { z } from 'zod';
import { CampaignTarget } from './inventory.js';
import { MaintenanceWindow, Name } from './windows.js';

/** The name used in `ValidationError`s for a campaign definition. */
export const CAMPAIGN_SCHEMA_NAME = 'CampaignDefinition';
/** Waves in one campaign at most. */
export const MAX_WAVES = 20;
/** Maintenance windows in one campaign at most. */
export const MAX_MAINTENANCE_WINDOWS = 64;
/** The longest per-device timeout: 7 days. */
export const MAX_DEVICE_TIMEOUT_MS = 7 * 24 * 3_600_000;

export { CampaignId };

/**
 * What is rolled out: the TUF target, its version, and the hardware it was built for. One image
 * for every hardware id (`targetPath`), or one per hardware id (`targets`: a hardware revision
 * needs its own build), never both.
 */
export const CampaignRelease = z
  .strictObject({
    /** The TUF target path of the one image, e.g. `po-200/rev-a/2.4.1.bin`. */
    targetPath: z.string().min(1).max(512).optional(),
    /** The TUF target path per hardware id, e.g. `{ "po-200.rev-b": "po-200/rev-b/2.4.1.bin" }`. */
    targets: z.record(Name, z.string().min(1).max(512)).optional(),
    /** The firmware version the image carries, e.g. `2.4.1`. */
    version: z.string().min(1).max(64),
    /** Hardware ids the image is built for; a device of other hardware is never targeted. */
    hardwareIds: z.array(Name).min(1).max(256),
  })
  .superRefine((release, ctx) => {
    if ((release.targetPath === undefined) === (release.targets === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['targetPath'], message: 'give targetPath or targets, not both' });
      return;
    }
    if (release.targets !== undefined) {
      for (const id of release.hardwareIds) {
        if (release.targets[id] === undefined) {
          ctx.addIssue({ code: 'custom', path: ['targets', id], message: `no target for hardware ${id}` });
        }
      }
      for (const id of Object.keys(release.targets)) {
        if (!release.hardwareIds.includes(id)) {
          ctx.addIssue({ code: 'custom', path: ['targets', id], message: `${id} is not in hardwareIds` });
        }
      }
    }
  });
/** A campaign's release. */
export type CampaignRelease = z.infer<typeof CampaignRelease>;

const Percent = z.number().finite().gt(0).max(100);

/**
 * A staged-rollout campaign, as an operator defines it (JSON text or a value).
 *
 * - `waves`: cumulative percentages of the targeted devices, strictly increasing, ending at 100
 *   (default `[1, 10, 50, 100]`). Wave *k* may have at most ⌈`waves[k]` % × population⌉ devices
 *   assigned in all (at least 1).
 * - `successPercent`: the campaign moves to the next wave once this share of the current wave's
 *   devices is `updated` (default 95), and `soakMs` later (default 0) if it still holds.
 * - `pauseAtFailurePercent` / `abortAtFailurePercent`: when this share of one wave's devices has
 *   `failed` or `rolled-back`, the campaign pauses (once per wave) / aborts. Default: no pause,
 *   abort at 10 %.
 * - `deviceTimeoutMs`: an assigned device silent this long (no accepted report) counts as
 *   `failed` (default 1 h).
 * - `urgent`: install even on devices in active therapy (a safety fix). Otherwise a device in
 *   therapy is never assigned.
 * - `maintenanceWindows`: when devices of a ward may be assigned (see {@link MaintenanceWindow}).
 *
 * @example
 * ```json
 * { "id": "po-200-2.4.1", "release": { "targetPath": "po-200/rev-a/2.4.1.bin", "version": "2.4.1",
 *   "hardwareIds": ["po-200.rev-a"] }, "target": { "wards": ["ward-7"] }, "waves": [1, 10, 50, 100],
 *   "successPercent": 95, "pauseAtFailurePercent": 5, "abortAtFailurePercent": 20,
 *   "maintenanceWindows": [{ "start": "02:00", "end": "05:00", "timeZone": "Europe/Berlin" }] }
 * ```
 */
export const CampaignDefinition = z
  .strictObject({
    id: CampaignId,
    /** Free text for people, e.g. `Pulse oximeter 2.4.1 (CVE-2025-1234 fix)`. */
    title: z.string().min(1).max(256).optional(),
    release: CampaignRelease,
    target: CampaignTarget.default({}),
    waves: z.array(Percent).min(1).max(MAX_WAVES).default([1, 10, 50, 100]),
    successPercent: Percent.default(95),
    soakMs: z.number().int().min(0).max(MAX_DEVICE_TIMEOUT_MS).default(0),
    pauseAtFailurePercent: Percent.optional(),
    abortAtFailurePercent: Percent.default(10),
    deviceTimeoutMs: z.number().int().min(1).max(MAX_DEVICE_TIMEOUT_MS).default(3_600_000),
    urgent: z.boolean().default(false),
    maintenanceWindows: z.array(MaintenanceWindow).max(MAX_MAINTENANCE_WINDOWS).default([]),
  })
  .superRefine((c, ctx) => {
    c.waves.forEach((w, i) => {
      const prev = c.waves[i - 1];
      if (prev !== undefined && w <= prev) {
        ctx.addIssue({
          code: 'custom',
          path: ['waves', i],
          message: `waves are cumulative percentages and must increase: ${w} follows ${prev}`,
        });
      }
    });
    if (c.waves[c.waves.length - 1] !== 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['waves', c.waves.length - 1],
        message: 'the last wave must be 100 (every targeted device)',
      });
    }
    if (c.pauseAtFailurePercent !== undefined && c.pauseAtFailurePercent >= c.abortAtFailurePercent) {
      ctx.addIssue({
        code: 'custom',
        path: ['pauseAtFailurePercent'],
        message: `must be below abortAtFailurePercent (${c.abortAtFailurePercent}), or the pause never happens`,
      });
    }
  });
/** A validated campaign definition, defaults applied. */
export type CampaignDefinition = z.infer<typeof CampaignDefinition>;
/** A campaign definition as written (defaults optional). */
export type CampaignDefinitionInput = z.input<typeof CampaignDefinition>;

/**
 * Parses a campaign definition (JSON text or a value), applying defaults.
 * @example
 * ```ts
 * const parsed = parseCampaignDefinition(await readFile('campaign.json', 'utf8'));
 * if (!parsed.ok) console.error(parsed.error.message); // names every offending field
 * ```
 */
export function parseCampaignDefinition(
  input: unknown,
  source?: string,
): { ok: true; value: CampaignDefinition } | { ok: false; error: ValidationError } {
  try {
    const value = parseJsonText(input, CAMPAIGN_SCHEMA_NAME, 'give a campaign definition object', source);
    return safeParse(CampaignDefinition, CAMPAIGN_SCHEMA_NAME, value, source);
  } catch (e) {
    return { ok: false, error: e as ValidationError };
  }
}

/** ⌈percent × n / 100⌉, robust to floating-point noise (`10 % of 200` is 20, not 21). @internal */
export function ceilPercent(percent: number, n: number): number {
  return Math.ceil((percent * n) / 100 - 1e-9);
}

/**
 * How many devices each wave allows in all (cumulative), for a population of `n`: ⌈`waves[k]` % ×
 * n⌉, at least 1 when n > 0, exactly n for the last wave.
 * @example
 * ```ts
 * waveQuotas([1, 10, 50, 100], 200); // [2, 20, 100, 200]
 * waveQuotas([1, 10, 50, 100], 5);   // [1, 1, 3, 5]
 * ```
 */
export function waveQuotas(waves: readonly number[], n: number): number[] {
  return waves.map((pct, k) =>
    k === waves.length - 1 || n === 0 ? n : Math.min(n, Math.max(1, ceilPercent(pct, n))),
  );
}

/** The TUF target a device of `hardwareId` installs from `release`. @internal */
export function targetPathFor(release: CampaignRelease, hardwareId: string): string {
  return (release.targets?.[hardwareId] ?? release.targetPath) as string;
}
