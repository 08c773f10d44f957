import { DeviceId } from '@healthit/core';
import { z } from 'zod';
import { Name } from './windows.js';

/** The name used in `ValidationError`s for an inventory item. */
export const FLEET_DEVICE_SCHEMA_NAME = 'FleetDevice';

/**
 * One device of the fleet inventory, as the device registry knows it: what it is, where it is,
 * what it runs, and whether it may be disturbed. Unknown fields are dropped (a registry may send
 * more).
 */
export const FleetDevice = z.object({
  deviceId: DeviceId,
  /** Commercial model, e.g. `IntelliVue MX450`. */
  model: z.string().min(1).max(128),
  /** Hardware model and revision the images are built for, e.g. `po-200.rev-a`. */
  hardwareId: Name,
  ward: Name,
  /** The firmware version it runs now. */
  firmwareVersion: z.string().min(1).max(64),
  /** Delivering therapy now (an infusion running, a ventilator attached): never updated unless urgent. */
  inTherapy: z.boolean(),
  /** Reachable through its gateway now. */
  online: z.boolean(),
});
/** A device of the fleet inventory. */
export type FleetDevice = z.infer<typeof FleetDevice>;

/**
 * Which devices a campaign targets. Every given filter must match (AND); within a filter, any
 * listed value matches (OR). An empty object targets every device whose hardware the release
 * supports.
 */
export const CampaignTarget = z.strictObject({
  models: z.array(z.string().min(1).max(128)).min(1).max(256).optional(),
  hardwareIds: z.array(Name).min(1).max(256).optional(),
  wards: z.array(Name).min(1).max(256).optional(),
  /** Current firmware versions, e.g. `["2.3.0", "2.3.1"]`. */
  fromVersions: z.array(z.string().min(1).max(64)).min(1).max(256).optional(),
  /** These devices only (at most 100 000). */
  deviceIds: z.array(DeviceId).min(1).max(100_000).optional(),
});
/** A campaign's targeting. */
export type CampaignTarget = z.infer<typeof CampaignTarget>;

/**
 * A predicate true when a device matches every filter of `target` (lists become sets, so a
 * campaign over 100 000 listed devices is checked in linear time).
 */
export function compileTarget(target: CampaignTarget): (device: FleetDevice) => boolean {
  const set = <T>(list: readonly T[] | undefined): ReadonlySet<T> | undefined =>
    list === undefined ? undefined : new Set(list);
  const models = set(target.models);
  const hardwareIds = set(target.hardwareIds);
  const wards = set(target.wards);
  const versions = set(target.fromVersions);
  const ids = set<string>(target.deviceIds);
  return (device) =>
    (models === undefined || models.has(device.model)) &&
    (hardwareIds === undefined || hardwareIds.has(device.hardwareId)) &&
    (wards === undefined || wards.has(device.ward)) &&
    (versions === undefined || versions.has(device.firmwareVersion)) &&
    (ids === undefined || ids.has(device.deviceId));
}

/**
 * A deterministic, well-spread rank of a device within a campaign (32-bit FNV-1a of the campaign
 * and device ids): devices are assigned in this order, so the first waves sample every ward and
 * model instead of the alphabetically first devices, and a campaign replays identically.
 * @internal
 */
export function assignmentRank(campaignId: string, deviceId: string): number {
  let h = 0x811c9dc5;
  const s = `${campaignId}\u0000${deviceId}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
