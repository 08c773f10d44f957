/**
 * What every fault-injection test shares: the long/short switch, waiting, and the rule for missing
 * services (skipped with the reason printed on a developer machine, a failure under `CI`).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The environment. (Read through this name: the variables below configure test runs, not turbo
 * tasks, so Biome's turbo.json check of `process.env.X` does not apply to them.)
 */
export const environment: NodeJS.ProcessEnv = process.env;

/** `FAULT_LONG=1`: the long variants (a 60 s outage, more load); the default is the short one. */
export const LONG = environment.FAULT_LONG === '1' || environment.FAULT_LONG === 'true';

/** `short` in the default run, `long` with `FAULT_LONG=1`. */
export function pick<T>(short: T, long: T): T {
  return LONG ? long : short;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` every 20 ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** True when `bin` is an existing absolute path, or a name found on `PATH`. */
export function hasBinary(bin: string): boolean {
  if (bin.startsWith('/')) return existsSync(bin);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, bin)));
}

/**
 * Whether to skip a suite whose service is missing: never under `CI` (the suite then runs and
 * fails, naming what is missing), otherwise skip and print why.
 */
export function skipWithout(missing: readonly string[], suite: string): boolean {
  if (missing.length === 0) return false;
  if (process.env.CI) return false;
  console.warn(`Skipping ${suite}: ${missing.join('; ')}.`);
  return true;
}

/** The mosquitto binary (`HEALTHIT_MOSQUITTO_BIN`, else `/usr/sbin/mosquitto` when present, else `PATH`). */
export const MOSQUITTO_BIN =
  environment.HEALTHIT_MOSQUITTO_BIN ??
  (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto');

/** PostgreSQL for the store behind the proxy (`HEALTHIT_PG_URL`, default the local one, trust auth). */
export const PG_URL = environment.HEALTHIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One summary line per scenario, for the report (counts and timings). */
export function summary(scenario: string, figures: Record<string, unknown>): void {
  console.info(`[fault] ${scenario}: ${JSON.stringify(figures)}`);
}
