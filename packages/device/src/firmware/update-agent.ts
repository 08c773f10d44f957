import { type Clock, HealthItError } from '@healthit/core';
import {
  UpdateRejectedError,
  type UpdateRejection,
  type UpdateState,
  type VerifiedUpdate,
} from '@healthit/core/updates';
import { asyncScheduler, firstValueFrom, from, map, Observable, race, type SchedulerLike, timer } from 'rxjs';
import { checkFailed, type SelfTestReport, selfTestReport } from '../actuators/self-test.js';
import { type BootedImage, type BootResult, bootFirmware, DEFAULT_MAX_TRIAL_BOOTS } from './bootloader.js';
import { firmwareDigest } from './digest.js';
import {
  type FirmwareStorage,
  otherSlot,
  type SlotId,
  type SlotRecord,
  type SlotState,
} from './firmware-storage.js';
import { PowerLossError } from './power-loss.js';
import type { FirmwareSelfTest } from './sensor-self-test.js';
import type { UpdateSource } from './update-source.js';

/** Default of {@link UpdateAgentOptions.chunkBytes}. */
export const DEFAULT_FIRMWARE_CHUNK_BYTES = 4096;
/** Default of {@link UpdateAgentOptions.slotBytes}: 16 MiB. */
export const DEFAULT_FIRMWARE_SLOT_BYTES = 16 * 1024 * 1024;
/** Default of {@link UpdateAgentOptions.selfTestTimeoutMs}. */
export const DEFAULT_SELF_TEST_TIMEOUT_MS = 60_000;

/** One step of an update, as the device reports it. */
export interface UpdateStateChange {
  /**
   * The update step the device entered (core `UpdateState`, e.g. `downloading`, `updated`, `rolled-back`).
   */
  readonly state: UpdateState;
  /** When the device entered `state` (the agent's clock, epoch ms). */
  readonly at: number;
  /** What happened, in words a biomedical engineer can act on. */
  readonly detail: string;
  /** The campaign the update belongs to, when known. */
  readonly campaignId?: string;
  /**
   * The version the state is about: the target; for `rolled-back`, the version running after the
   * rollback (as `UpdateReport.version` means it; the one given up on is in `detail`).
   */
  readonly version?: string;
  /** Its SUIT sequence number. */
  readonly sequence?: number;
  /** For `failed` by a refused check: the `UpdateRejectedError` reason. */
  readonly reason?: UpdateRejection;
}

/** What a campaign asks of one update (all optional). */
export interface UpdateRequest {
  /** The campaign the update belongs to; carried on every state change it causes. */
  readonly campaignId?: string;
  /** The TUF target the command named: the source must deliver exactly it (`inconsistent`). */
  readonly targetPath?: string;
  /** The version the command named: the source must deliver exactly it (`inconsistent`). */
  readonly version?: string;
}

/** Options of {@link createUpdateAgent}. */
export interface UpdateAgentOptions {
  /** The device's firmware storage (provisioned). */
  readonly storage: FirmwareStorage;
  /** The device's hardware id: an image built for another is refused (`wrong-hardware`). */
  readonly hardwareId: string;
  /** Run on every trial boot; the new image is confirmed only when its report `passed`. */
  readonly selfTest: FirmwareSelfTest;
  /** A self-test that takes longer fails, ms (as a watchdog would reset the device). Default 60 000. */
  readonly selfTestTimeoutMs?: number;
  /** Bytes per flash write while installing. Default 4096. */
  readonly chunkBytes?: number;
  /** The capacity of a slot: a larger image is refused (`too-large`) before it is copied. Default 16 MiB. */
  readonly slotBytes?: number;
  /** Trial boots the bootloader grants a new image. Default 1. */
  readonly maxTrialBoots?: number;
  /** Stamps every state change. Default: the scheduler's `now()`. */
  readonly clock?: Clock;
  /** Runs the self-test timeout. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** What the device holds now. */
export interface FirmwareStatus {
  /** The image running (undefined before `start()` booted). */
  readonly running: BootedImage | undefined;
  /** The anti-rollback counter: the lowest SUIT sequence number the bootloader will boot. */
  readonly counter: number;
  /**
   * Both slots (`a`, `b`): each slot's state and the version and SUIT sequence number of the image it holds
   * (empty and 0 for an empty slot).
   */
  readonly slots: Readonly<
    Record<SlotId, { readonly state: SlotState; readonly version: string; readonly sequence: number }>
  >;
}

/**
 * The device side of firmware updates (one per device; one update at a time). Each method returns
 * a cold Observable: subscribing runs it; it emits state changes and completes when done.
 * Unsubscribing only stops watching: an update that began runs to its end, because a half-done
 * update must still leave the device consistent. It errors only with {@link PowerLossError} (the
 * power was cut: discard the agent, power on a new one over the same storage) or a `HealthItError`
 * `state/invalid` (called before `start`, or during another update); every refusal or failure of
 * the update itself is a `failed` or `rolled-back` state.
 */
export interface UpdateAgent {
  /** The device's hardware id, as given in the options; images built for another are refused. */
  readonly hardwareId: string;
  /** The device's firmware storage, as given in the options. */
  readonly storage: FirmwareStorage;
  /**
   * Powers the device on: the bootloader boots, then an update a power cut interrupted is settled —
   * a trial image is self-tested and confirmed (`confirming`, `updated`) or rolled back
   * (`rolled-back`); a trial the bootloader gave up on is reported `rolled-back`. Emits nothing
   * after an ordinary boot.
   * @throws {BootError} (as the Observable's error) when nothing can boot.
   */
  start(): Observable<UpdateStateChange>;
  /**
   * Runs one update: `pending`, `downloading` (the source fetches and verifies), `verifying` (the
   * agent's own checks of its private copy: hardware id, named target, anti-rollback, digest),
   * `installing` (written to the inactive slot, read back and re-hashed), `confirming` (trial boot
   * and self-test), then `updated`, `failed` (nothing was booted) or `rolled-back`.
   */
  update(source: UpdateSource, request?: UpdateRequest): Observable<UpdateStateChange>;
  /** The image running now, or undefined before `start()`. */
  running(): BootedImage | undefined;
  /** Slots, counter and running image. */
  status(): FirmwareStatus;
}

/** The update as received: a private copy, taken before anything else looks at it. */
interface Received {
  readonly targetPath: string;
  readonly version: string;
  readonly sequence: number;
  readonly hardwareId: string;
  readonly sha256: string;
  readonly length: number;
  readonly image: Uint8Array;
}

/** What a state change says beyond its state, time and detail. */
type About = Partial<Omit<UpdateStateChange, 'state' | 'detail' | 'at'>>;
type Emit = (state: UpdateState, detail: string, extra?: About) => void;

function integerOption(value: number, what: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Creates the update agent of a simulated device over its firmware storage.
 * @throws {RangeError} for an out-of-range option.
 * @example
 * ```ts
 * const storage = createFirmwareStorage();
 * await provisionFirmware(storage, { image, version: '2.4.0', sequence: 240 });
 * const agent = createUpdateAgent({ storage, hardwareId: 'po-200.rev-a', selfTest });
 * await lastValueFrom(agent.start(), { defaultValue: undefined });
 * agent.update(source, { campaignId: 'c-7' }).subscribe((s) => console.log(s.state, s.detail));
 * ```
 */
export function createUpdateAgent(options: UpdateAgentOptions): UpdateAgent {
  const { storage, hardwareId, selfTest } = options;
  const chunkBytes = integerOption(options.chunkBytes ?? DEFAULT_FIRMWARE_CHUNK_BYTES, 'chunkBytes', 1);
  const slotBytes = integerOption(options.slotBytes ?? DEFAULT_FIRMWARE_SLOT_BYTES, 'slotBytes', 1);
  const selfTestTimeoutMs = integerOption(
    options.selfTestTimeoutMs ?? DEFAULT_SELF_TEST_TIMEOUT_MS,
    'selfTestTimeoutMs',
    1,
  );
  const maxTrialBoots = integerOption(options.maxTrialBoots ?? DEFAULT_MAX_TRIAL_BOOTS, 'maxTrialBoots', 1);
  const scheduler = options.scheduler ?? asyncScheduler;
  const clock: Clock = options.clock ?? { now: () => scheduler.now() };
  let running: BootedImage | undefined;
  let busy = false;

  /** A cold Observable of one run of `work`, which goes on when unsubscribed. */
  const run = (work: (emit: Emit) => Promise<void>): Observable<UpdateStateChange> =>
    new Observable<UpdateStateChange>((subscriber) => {
      let watching = true;
      if (busy) {
        subscriber.error(
          new HealthItError('state/invalid', 'Another update or start of this device is running'),
        );
        return;
      }
      busy = true;
      const emit: Emit = (state, detail, extra = {}) => {
        if (watching) subscriber.next({ state, at: clock.now(), detail, ...extra });
      };
      work(emit).then(
        () => {
          busy = false;
          if (watching) subscriber.complete();
        },
        (e: unknown) => {
          busy = false;
          if (watching) subscriber.error(e);
        },
      );
      return () => {
        watching = false;
      };
    });

  const reboot = async (): Promise<BootResult> => {
    const boot = await bootFirmware(storage, { maxTrialBoots });
    running = boot.running;
    return boot;
  };

  const runSelfTest = async (image: BootedImage): Promise<SelfTestReport> => {
    const timedOut = selfTestReport({
      'self-test': checkFailed(`no verdict within ${selfTestTimeoutMs} ms`),
    });
    try {
      return await firstValueFrom(
        race(
          from(Promise.resolve().then(() => selfTest(image))),
          timer(selfTestTimeoutMs, scheduler).pipe(map(() => timedOut)),
        ),
      );
    } catch (e) {
      return selfTestReport({ 'self-test': checkFailed(`threw: ${messageOf(e)}`) });
    }
  };

  /**
   * Confirms the trial image: the slot is marked `confirmed` (with bytes that match the verified
   * digest), then the boot control makes it active (the commit point), then the counter follows.
   */
  const confirm = async (image: BootedImage, verifiedCopy: Uint8Array | undefined): Promise<boolean> => {
    const record = storage.readSlot(image.slot);
    const bytes = verifiedCopy ?? record.image;
    if (verifiedCopy === undefined && (await firmwareDigest(bytes)) !== image.sha256) return false;
    storage.writeSlot(image.slot, { ...record, state: 'confirmed', image: bytes });
    storage.writeBootControl({ active: image.slot, trial: null, trialAttempts: 0, confirmed: true });
    if (image.sequence > storage.readCounter()) storage.writeCounter(image.sequence);
    return true;
  };

  /** After a boot: report a rollback the bootloader made, and self-test and settle a trial image. */
  const settle = async (boot: BootResult, emit: Emit, verifiedCopy?: Uint8Array): Promise<void> => {
    const back = boot.rolledBack;
    if (back !== undefined) {
      emit(
        'rolled-back',
        `${back.version} (slot ${back.slot}) was rolled back: ${back.reason}; running ${boot.running.version}`,
        {
          version: boot.running.version,
          sequence: boot.running.sequence,
          ...(back.campaignId === undefined ? {} : { campaignId: back.campaignId }),
        },
      );
    }
    if (!boot.trial) return;
    const image = boot.running;
    const about = {
      version: image.version,
      sequence: image.sequence,
      ...(image.campaignId === undefined ? {} : { campaignId: image.campaignId }),
    };
    const report = await runSelfTest(image);
    if (report.passed && (await confirm(image, verifiedCopy))) {
      emit(
        'updated',
        `running ${image.version} (sequence ${image.sequence}) from slot ${image.slot}, confirmed`,
        about,
      );
      return;
    }
    // reboot without confirming: the bootloader rolls back
    const again = await reboot();
    const why = report.passed
      ? 'the image changed before confirmation'
      : `self-test failed (${report.failed.join(', ')})`;
    emit('rolled-back', `${image.version}: ${why}; rolled back to ${again.running.version}`, {
      ...about,
      version: again.running.version,
      sequence: again.running.sequence,
    });
  };

  const receive = (update: VerifiedUpdate): Received => {
    const image: unknown = update?.image;
    if (!(image instanceof Uint8Array))
      throw new UpdateRejectedError('malformed', 'The verified update carries no image bytes');
    if (image.length > slotBytes) {
      throw new UpdateRejectedError(
        'too-large',
        `The image is ${image.length} bytes; a slot holds ${slotBytes}`,
        {
          subject: update.targetPath,
        },
      );
    }
    return {
      image: image.slice(), // the private copy: the caller's buffer is never read again
      targetPath: update.targetPath,
      version: update.version,
      sequence: update.sequence,
      hardwareId: update.hardwareId,
      sha256: update.sha256,
      length: update.length,
    };
  };

  const check = async (u: Received, request: UpdateRequest, counter: number): Promise<void> => {
    const subject = `image ${u.targetPath}`;
    if (
      typeof u.targetPath !== 'string' ||
      typeof u.version !== 'string' ||
      u.version.length === 0 ||
      u.version.length > 64 ||
      typeof u.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(u.sha256) ||
      u.image.length === 0
    ) {
      throw new UpdateRejectedError(
        'malformed',
        'The verified update is malformed (target, version, sha256 or image)',
        {
          subject,
        },
      );
    }
    if (u.hardwareId !== hardwareId) {
      throw new UpdateRejectedError(
        'wrong-hardware',
        `The image is built for ${u.hardwareId}, this device is ${hardwareId}`,
        {
          subject,
        },
      );
    }
    if (request.targetPath !== undefined && request.targetPath !== u.targetPath) {
      throw new UpdateRejectedError(
        'inconsistent',
        `The command named ${request.targetPath}, the source delivered ${u.targetPath}`,
        {
          subject,
        },
      );
    }
    if (request.version !== undefined && request.version !== u.version) {
      throw new UpdateRejectedError(
        'inconsistent',
        `The command named version ${request.version}, the image is ${u.version}`,
        {
          subject,
        },
      );
    }
    const floor = Math.max(counter, running?.sequence ?? 0);
    if (!Number.isSafeInteger(u.sequence) || u.sequence <= floor) {
      throw new UpdateRejectedError(
        'rollback',
        `The image's sequence ${u.sequence} is not above ${floor} (anti-rollback counter ${counter}, running ${running?.version} with ${running?.sequence})`,
        { subject, detail: { sequence: u.sequence, counter } },
      );
    }
    if (u.length !== u.image.length || (await firmwareDigest(u.image)) !== u.sha256) {
      throw new UpdateRejectedError(
        'digest',
        'The image received differs from the one verified (length or SHA-256)',
        {
          subject,
        },
      );
    }
  };

  /** Writes the private copy into the inactive slot, reads it back and re-hashes it. */
  const install = async (u: Received, campaignId: string | undefined): Promise<SlotId> => {
    const control = storage.readBootControl();
    if (control === undefined)
      throw new HealthItError('state/invalid', 'The firmware storage is not provisioned');
    const slot = otherSlot(control.active);
    const header: Omit<SlotRecord, 'state' | 'image'> = {
      version: u.version,
      sequence: u.sequence,
      sha256: u.sha256,
      length: u.length,
      ...(campaignId === undefined ? {} : { campaignId }),
    };
    storage.writeSlot(slot, { ...header, state: 'writing', image: new Uint8Array(0) });
    for (let end = Math.min(chunkBytes, u.length); ; end = Math.min(end + chunkBytes, u.length)) {
      const done = end === u.length;
      storage.writeSlot(slot, {
        ...header,
        state: done ? 'ready' : 'writing',
        image: u.image.subarray(0, end),
      });
      if (done) break;
    }
    const written = storage.readSlot(slot);
    if (written.image.length !== u.length || (await firmwareDigest(written.image)) !== u.sha256) {
      storage.writeSlot(slot, { ...written, state: 'rejected' });
      throw new UpdateRejectedError(
        'digest',
        `What slot ${slot} holds after the write differs from the verified image`,
        {
          subject: `slot ${slot}`,
        },
      );
    }
    return slot;
  };

  return {
    hardwareId,
    storage,
    running: () => running,
    status() {
      const slot = (id: SlotId) => {
        const r = storage.readSlot(id);
        return { state: r.state, version: r.version, sequence: r.sequence };
      };
      return { running, counter: storage.readCounter(), slots: { a: slot('a'), b: slot('b') } };
    },
    start: () =>
      run(async (emit) => {
        const boot = await reboot();
        if (boot.trial) {
          const image = boot.running;
          emit(
            'confirming',
            `booted ${image.version} from slot ${image.slot} on trial after a restart; self-test`,
            {
              version: image.version,
              sequence: image.sequence,
              ...(image.campaignId === undefined ? {} : { campaignId: image.campaignId }),
            },
          );
        }
        await settle(boot, emit);
      }),
    update: (source, request = {}) =>
      run(async (emit) => {
        if (running === undefined)
          throw new HealthItError('state/invalid', 'start() the device before updating it');
        const campaign = request.campaignId === undefined ? {} : { campaignId: request.campaignId };
        emit(
          'pending',
          `update requested${request.targetPath === undefined ? '' : ` to ${request.targetPath}`}`,
          {
            ...campaign,
            ...(request.version === undefined ? {} : { version: request.version }),
          },
        );
        let about: About = campaign;
        try {
          emit('downloading', 'fetching and verifying the image through the update source', about);
          const counter = storage.readCounter();
          const received = receive(
            await source.fetch({
              hardwareId,
              ...(request.targetPath === undefined ? {} : { targetPath: request.targetPath }),
              ...(request.version === undefined ? {} : { version: request.version }),
              installed: { version: running.version, sequence: running.sequence },
              antiRollbackCounter: counter,
            }),
          );
          about = { ...campaign, version: received.version, sequence: received.sequence };
          emit(
            'verifying',
            `checking ${received.targetPath} (${received.length} bytes, sequence ${received.sequence})`,
            about,
          );
          await check(received, request, counter);
          const slot = otherSlot(storage.readBootControl()?.active ?? 'a');
          emit('installing', `writing ${received.version} into slot ${slot}`, about);
          await install(received, request.campaignId);
          storage.writeBootControl({
            active: otherSlot(slot),
            trial: slot,
            trialAttempts: 0,
            confirmed: false,
          });
          emit('confirming', `rebooting into slot ${slot} on trial; self-test`, about);
          await settle(await reboot(), emit, received.image);
        } catch (e) {
          if (e instanceof PowerLossError) throw e;
          const reason = e instanceof UpdateRejectedError ? e.reason : undefined;
          emit('failed', messageOf(e), { ...about, ...(reason === undefined ? {} : { reason }) });
        }
      }),
  };
}
