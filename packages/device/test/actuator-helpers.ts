import type { CommandStatus } from '@healthit/core';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';

/** Builds the `CommandStatus` an actuator of `deviceId` is expected to report. */
export function statusFor(deviceId: string) {
  return (commandId: string, state: CommandStatus['state'], at: number, reason?: string): CommandStatus =>
    ({ commandId, deviceId, state, at, ...(reason === undefined ? {} : { reason }) }) as CommandStatus;
}

/** A marble-test scheduler comparing with `toEqual`. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}
