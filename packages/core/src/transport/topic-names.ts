/**
 * The topic names the SDK's layers agree on. Device ids never contain `/`, `+` or `#` (see
 * `DeviceId`), so each id fills exactly one topic level.
 */
export const Topics = {
  /** Where a device publishes envelopes of readings. */
  deviceReadings: (deviceId: string): string => `devices/${deviceId}/readings`,
  /** Matches every device's readings topic. */
  allDeviceReadings: 'devices/+/readings',
  /** Where a gateway sends commands to a device. */
  deviceCommands: (deviceId: string): string => `devices/${deviceId}/commands`,
  /** Where a device reports command status. */
  deviceCommandStatus: (deviceId: string): string => `devices/${deviceId}/command-status`,
} as const;
