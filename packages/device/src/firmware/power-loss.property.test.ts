import fc from 'fast-check';
import type { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { bootFirmware } from './bootloader.js';
import { firmwareDigest } from './digest.js';
import {
  BootControl,
  cloneMedium,
  createFirmwareStorage,
  type FirmwareMedium,
  SlotRecord,
} from './firmware-storage.js';
import { PowerLossError, type WritePoint } from './power-loss.js';
import type { FirmwareSelfTest } from './sensor-self-test.js';
import {
  failingSelfTest,
  imageBytes,
  NEW,
  OLD,
  passingSelfTest,
  powerOn,
  provisionedMedium,
  verifiedUpdate,
} from './test-fixtures/firmware-device.js';
import type { UpdateStateChange } from './update-agent.js';
import { fixedUpdateSource } from './update-source.js';

const factory = imageBytes(1, 700);

interface Release {
  readonly image: Uint8Array;
  readonly sha256: string;
}

/**
 * The counter invariant, checked on the flash itself: the counter is the old sequence, or the new
 * one and then the boot control has committed to the new image, confirmed.
 */
function counterViolation(medium: FirmwareMedium, release: Release): string | undefined {
  const counter = (medium.get('anti-rollback') as { counter: number }).counter;
  if (counter === OLD.sequence) return undefined;
  if (counter !== NEW.sequence) return `counter ${counter}`;
  const control = BootControl.parse(medium.get('boot-control'));
  const active = SlotRecord.parse(medium.get(control.active === 'a' ? 'slot-a' : 'slot-b'));
  const committed =
    control.trial === null &&
    control.confirmed &&
    active.state === 'confirmed' &&
    active.sequence === NEW.sequence &&
    active.sha256 === release.sha256;
  return committed ? undefined : `counter moved to ${counter} without a confirmed boot of the new image`;
}

/** What a fresh device boots from a copy of `medium`: it must be the old or the new image, whole. */
async function expectBootsValidImage(medium: FirmwareMedium, release: Release): Promise<'old' | 'new'> {
  const storage = createFirmwareStorage({ medium: cloneMedium(medium) });
  const boot = await bootFirmware(storage); // a BootError here would be a bricked device
  const bytes = storage.readSlot(boot.running.slot).image;
  expect(await firmwareDigest(bytes)).toBe(boot.running.sha256);
  if (boot.running.sha256 === release.sha256) {
    expect(bytes).toEqual(release.image);
    return 'new';
  }
  expect(bytes).toEqual(factory);
  return 'old';
}

/** Runs `run$` into `into`; resolves true when the power was cut, false when it completed. */
function drain(run$: Observable<UpdateStateChange>, into: UpdateStateChange[]): Promise<boolean> {
  return new Promise((resolve, reject) => {
    run$.subscribe({
      next: (s) => into.push(s),
      complete: () => resolve(false),
      error: (e: unknown) => (e instanceof PowerLossError ? resolve(true) : reject(e)),
    });
  });
}

interface Cycle {
  readonly cut: boolean;
  readonly states: UpdateStateChange[];
  readonly points: WritePoint[];
}

/**
 * One power-on of the device over `medium`: start (settling an interrupted update), then the update
 * unless the device already runs the new image; the power is cut at `cutStep` (if it comes). The
 * counter invariant is checked at every write point.
 */
async function powerCycle(
  medium: FirmwareMedium,
  release: Release,
  options: { cutStep?: number; selfTest: FirmwareSelfTest; chunkBytes: number; violations: string[] },
): Promise<Cycle> {
  const points: WritePoint[] = [];
  const agent = powerOn(medium, {
    selfTest: options.selfTest,
    chunkBytes: options.chunkBytes,
    powerLoss: (point) => {
      points.push(point);
      const violation = counterViolation(medium, release);
      if (violation !== undefined) options.violations.push(`${violation} at step ${point.step}`);
      return point.step === options.cutStep;
    },
  });
  const states: UpdateStateChange[] = [];
  if (await drain(agent.start(), states)) return { cut: true, states, points };
  if (agent.running()?.sha256 === release.sha256) return { cut: false, states, points };
  const update = await verifiedUpdate(release.image, NEW, { image: release.image.slice() });
  const cut = await drain(agent.update(fixedUpdateSource(update), { campaignId: 'c-7' }), states);
  return { cut, states, points };
}

/** After the cuts: a power-on without one must finish on the new image, confirmed. */
async function expectRetrySucceeds(
  medium: FirmwareMedium,
  release: Release,
  chunkBytes: number,
  violations: string[],
) {
  const retry = await powerCycle(medium, release, { selfTest: passingSelfTest, chunkBytes, violations });
  expect(retry.cut).toBe(false);
  const outcome = retry.states.at(-1)?.state;
  if (retry.states.length > 0) expect(outcome).toBe('updated');
  expect(await expectBootsValidImage(medium, release)).toBe('new');
  expect(medium.get('anti-rollback')).toEqual({ counter: NEW.sequence });
  expect(violations).toEqual([]);
}

async function releaseOf(image: Uint8Array): Promise<Release> {
  return { image, sha256: await firmwareDigest(image) };
}

/** The write points of the whole flow without a cut (to enumerate where the power can go). */
async function dryRun(
  release: Release,
  selfTest: FirmwareSelfTest,
  chunkBytes: number,
): Promise<WritePoint[]> {
  const medium = await provisionedMedium(factory);
  const violations: string[] = [];
  const cycle = await powerCycle(medium, release, { selfTest, chunkBytes, violations });
  expect(cycle.cut).toBe(false);
  expect(violations).toEqual([]);
  return cycle.points;
}

describe('U12 power loss mid-install', () => {
  it('U12 power loss mid-install: the flow has a write point before and after every write, through install, trial boot and confirmation', async () => {
    const release = await releaseOf(imageBytes(2, 600));
    const records = (await dryRun(release, passingSelfTest, 256))
      .filter((p) => p.phase === 'after')
      .map((p) => p.record);
    expect(records).toEqual([
      'slot-b', // header: state writing
      'slot-b', // bytes 0-255
      'slot-b', // bytes 256-511
      'slot-b', // bytes 512-599, state ready
      'boot-control', // trial pending
      'boot-control', // bootloader: trial attempt counted
      'slot-b', // confirmation: slot confirmed
      'boot-control', // confirmation: commit to slot b
      'anti-rollback', // the counter, after the confirmed boot
    ]);
    const rollback = (await dryRun(release, failingSelfTest, 256))
      .filter((p) => p.phase === 'after')
      .map((p) => p.record);
    expect(rollback.slice(6)).toEqual(['boot-control', 'slot-b']); // bootloader: back to a, b rejected
  });

  it('U12 power loss mid-install: a cut at every single step leaves a device that boots the old or the new image, whole; the counter moves only with a confirmation; a retry succeeds', async () => {
    const release = await releaseOf(imageBytes(2, 600));
    for (const selfTest of [passingSelfTest, failingSelfTest]) {
      const steps = (await dryRun(release, selfTest, 256)).length;
      for (let step = 0; step < steps; step++) {
        const medium = await provisionedMedium(factory);
        const violations: string[] = [];
        const cycle = await powerCycle(medium, release, {
          cutStep: step,
          selfTest,
          chunkBytes: 256,
          violations,
        });
        expect(cycle.cut).toBe(true);
        expect(cycle.states.map((s) => s.state)).not.toContain('failed');
        const runs = await expectBootsValidImage(medium, release);
        if (runs === 'old') expect(medium.get('anti-rollback')).toEqual({ counter: OLD.sequence });
        await expectRetrySucceeds(medium, release, 256, violations);
      }
    }
  });

  it('U12 power loss mid-install: over any image, chunking, self-test outcome and series of cuts (also during recovery), the device always boots a valid image and a retried update succeeds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 1500 }),
        fc.integer({ min: 64, max: 512 }),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (image, chunkBytes, selfTestPasses, cutAt) => {
          const release = await releaseOf(image);
          const selfTest = selfTestPasses ? passingSelfTest : failingSelfTest;
          const steps = (await dryRun(release, selfTest, chunkBytes)).length;
          const medium = await provisionedMedium(factory);
          const violations: string[] = [];
          for (const fraction of cutAt) {
            const cycle = await powerCycle(medium, release, {
              cutStep: Math.floor(fraction * steps),
              selfTest,
              chunkBytes,
              violations,
            });
            const runs = await expectBootsValidImage(medium, release);
            if (runs === 'old') expect(medium.get('anti-rollback')).toEqual({ counter: OLD.sequence });
            if (!cycle.cut && !selfTestPasses) expect(cycle.states.at(-1)?.state).toBe('rolled-back');
          }
          expect(violations).toEqual([]);
          await expectRetrySucceeds(medium, release, chunkBytes, violations);
        },
      ),
      { numRuns: 120 },
    );
  });
});
