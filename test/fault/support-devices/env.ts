/**
 * The switches of the device and overload fault tests: `FAULT_LONG=1` (or `true`) runs the long
 * variants; a missing `mosquitto` skips the MQTT flood test on a developer machine (with the reason
 * printed) and fails it under `CI`.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by vitest, which runs outside turbo
const long = process.env.FAULT_LONG;
/** `FAULT_LONG=1`: the long variants (more ticks, more devices, more fast-check runs). */
export const LONG = long === '1' || long === 'true';

/** The broker binary: `HEALTHIT_MOSQUITTO_BIN`, else `/usr/sbin/mosquitto` when present, else `mosquitto`. */
export const MOSQUITTO_BIN =
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by vitest, which runs outside turbo
  process.env.HEALTHIT_MOSQUITTO_BIN ??
  (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto');

function onPath(bin: string): boolean {
  if (bin.startsWith('/')) return existsSync(bin);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, bin)));
}

/** Skip the MQTT suite: only when mosquitto is missing and not under `CI` (then it runs and fails). */
export function skipWithoutMosquitto(suite: string): boolean {
  if (onPath(MOSQUITTO_BIN)) return false;
  if (process.env.CI) return false;
  console.warn(`Skipping ${suite}: no mosquitto at ${MOSQUITTO_BIN} (set HEALTHIT_MOSQUITTO_BIN).`);
  return true;
}
