import { connectAsync } from 'mqtt';

/** The broker of the MQTT integration tests: HEALTHIT_MQTT_URL, or the local Mosquitto. */
export const MQTT_URL = process.env.HEALTHIT_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/** Why the broker at `url` cannot be used, or undefined when it answers. */
async function probe(url: string): Promise<string | undefined> {
  try {
    const client = await connectAsync(url, { connectTimeout: 3_000, reconnectPeriod: 0 });
    await client.endAsync();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message || e.constructor.name : String(e);
  }
}

/**
 * Whether the suite `what` must be skipped: only when the broker is unreachable and `CI` is not
 * set (in CI an unreachable broker is a failure: the tests run and fail). Prints the reason.
 */
export async function skipWithoutBroker(what: string): Promise<boolean> {
  const unreachable = await probe(MQTT_URL);
  const skip = unreachable !== undefined && !process.env.CI;
  if (skip) {
    console.warn(
      `Skipping ${what}: ${MQTT_URL} is unreachable (${unreachable}). Start Mosquitto or set HEALTHIT_MQTT_URL.`,
    );
  }
  return skip;
}
