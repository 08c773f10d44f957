/**
 * What the launcher and its child processes share: the run's configuration (handed to each child
 * as JSON in the `SCALE_OUT_CONFIG` environment variable), the names derived from the run id, and
 * the messages they exchange over the IPC channel `fork` opens.
 */
import type { Transport } from '@healthit/core';
import { filter, firstValueFrom, throwError, timeout } from 'rxjs';

/** The run's configuration, the same for every process. */
export interface ScaleOutConfig {
  /** Unique per run: `so-<pid>-<time>` (letters, digits and `-`). */
  readonly runId: string;
  readonly mqttUrl: string;
  readonly natsUrl: string;
  readonly pgUrl: string;
  /** Simulated patients (each with the ward's monitors). */
  readonly patients: number;
  readonly seed: number;
  /** Time between a device's readings, ms. */
  readonly periodMs: number;
  /** Where this run keeps files: the gateway's SQLite outbox, the list of published reading ids. */
  readonly workDir: string;
}

/** The names of one run on the shared services, all derived from its id: runs never collide. */
export interface RunNames {
  /** MQTT topics of the run start with this (`scale-out/<run>`); devices publish below it. */
  readonly topicPrefix: string;
  /** The gateway's site: the JetStream stream is `HEALTHIT_<SITE>`, subjects `healthit.<site>.>`. */
  readonly site: string;
  /** The PostgreSQL schema of the run's readings table. */
  readonly schema: string;
  /** The platform's durable JetStream consumer. */
  readonly durable: string;
  /** `Observation.identifier.system` of the run's exported readings. */
  readonly observationSystem: string;
}

/** Patients' `Patient.identifier.system` on the FHIR server (a hospital's MRN in real life). */
export const PATIENT_SYSTEM = 'https://hospital.example/fhir/sid/mrn';

/** The names of run `runId` on the shared services. */
export function runNames(runId: string): RunNames {
  return {
    topicPrefix: `scale-out/${runId}`,
    site: runId,
    schema: runId.replace(/[^a-z0-9]/g, '_'),
    durable: `platform-${runId}`,
    observationSystem: `https://hospital.example/fhir/sid/iomt-reading/${runId}`,
  };
}

/** A new run id, unique on this machine: `so_<pid>_<time in base 36>`. */
export function newRunId(): string {
  return `so_${process.pid}_${Date.now().toString(36)}`;
}

/** Counters a child reports once every half second, and once more when it is done. */
export interface Counters {
  readonly [name: string]: number;
}

/** Child → launcher. */
export type ChildMessage =
  /** Set up and ready for input (the FHIR server also says where it listens). */
  | { readonly type: 'ready'; readonly baseUrl?: string }
  | { readonly type: 'progress'; readonly counters: Counters }
  /** Drained and about to exit: the final counters. */
  | { readonly type: 'done'; readonly counters: Counters }
  /** A fatal error: what went wrong and what to do; the child exits non-zero. */
  | { readonly type: 'failed'; readonly message: string };

/** Launcher → child. */
export type LauncherMessage =
  /** Stop taking input, drain, report `done`, exit. `expect`: how much input is still to come. */
  | { readonly type: 'drain'; readonly expect?: number }
  /** Exit now (after a failure elsewhere). */
  | { readonly type: 'exit' };

/** The configuration given to this child process by the launcher. */
export function childConfig(): ScaleOutConfig {
  const text = process.env.SCALE_OUT_CONFIG;
  if (text === undefined || process.send === undefined) {
    throw new Error('This is a process of examples/scale-out: start it with `npm run start:scale-out`.');
  }
  return JSON.parse(text) as ScaleOutConfig;
}

/**
 * Sends `message` to the launcher; resolves once it is written. Never rejects: a launcher gone
 * away is noticed on `disconnect`.
 */
export function tell(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    try {
      process.send?.(message, undefined, {}, () => resolve());
    } catch {
      resolve(); // the IPC channel is closed: the 'disconnect' handler exits
    }
  });
}

/**
 * The common life of a child process: Ctrl-C in the terminal reaches every process of the
 * group, but only the launcher decides (it drains the children in order), so SIGINT is ignored
 * here; when the launcher goes away the child exits; an `exit` message exits at once; `drain`
 * calls `onDrain`. A failure of `onDrain` (or anything reported with `fail`) is told to the
 * launcher and exits non-zero.
 */
export function childLifecycle(onDrain: (expect: number | undefined) => Promise<Counters>): {
  /** Tells the launcher why this process cannot go on, and exits non-zero. */
  fail(e: unknown): Promise<never>;
} {
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(2));
  const fail = async (e: unknown): Promise<never> => {
    await tell({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  };
  let draining = false;
  process.on('message', (m: LauncherMessage) => {
    if (m.type === 'exit') process.exit(0);
    if (m.type === 'drain' && !draining) {
      draining = true;
      onDrain(m.expect).then(
        async (counters) => {
          await tell({ type: 'done', counters });
          process.exit(0);
        },
        (e: unknown) => fail(e),
      );
    }
  });
  return { fail };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `report` every `everyMs` until the returned function is called. */
export function every(everyMs: number, report: () => void): () => void {
  const timer = setInterval(report, everyMs);
  return () => clearInterval(timer);
}

/**
 * Resolves once an MQTT transport is connected.
 * @throws {Error} naming the broker and what to do, after `timeoutMs`.
 */
export async function mqttConnected(transport: Transport, url: string, timeoutMs = 10_000): Promise<void> {
  await firstValueFrom(
    transport.state$.pipe(
      filter((s) => s === 'connected'),
      timeout({
        first: timeoutMs,
        with: () =>
          throwError(
            () =>
              new Error(
                `Mosquitto is not reachable at ${url}: start it (\`mosquitto -d\`, or \`systemctl start mosquitto\`) or pass --mqtt-url`,
              ),
          ),
      }),
    ),
  );
}
