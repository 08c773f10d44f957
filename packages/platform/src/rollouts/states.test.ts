import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  DEVICE_UPDATE_STATES,
  type DeviceUpdateState,
  isSettledState,
  isTerminalState,
} from './states.js';

describe('device update state machine', () => {
  it('allows the happy path, skipped reports, failure and rollback', () => {
    const ok: [DeviceUpdateState, DeviceUpdateState][] = [
      ['pending', 'downloading'],
      ['downloading', 'verifying'],
      ['verifying', 'installing'],
      ['installing', 'confirming'],
      ['confirming', 'updated'],
      ['downloading', 'installing'],
      ['pending', 'updated'],
      ['pending', 'failed'],
      ['verifying', 'failed'],
      ['confirming', 'failed'],
      ['installing', 'rolled-back'],
      ['confirming', 'rolled-back'],
      ['failed', 'rolled-back'],
    ];
    for (const [from, to] of ok) expect(canTransition(from, to), `${from} → ${to}`).toBe(true);
  });

  it('refuses going backwards, leaving a terminal state, re-entering pending, rolling back what was never installed', () => {
    const refused: [DeviceUpdateState, DeviceUpdateState][] = [
      ['installing', 'downloading'],
      ['confirming', 'verifying'],
      ['updated', 'failed'],
      ['updated', 'rolled-back'],
      ['rolled-back', 'updated'],
      ['rolled-back', 'failed'],
      ['failed', 'updated'],
      ['failed', 'downloading'],
      ['downloading', 'pending'],
      ['downloading', 'rolled-back'],
      ['pending', 'rolled-back'],
      ['verifying', 'rolled-back'],
    ];
    for (const [from, to] of refused) expect(canTransition(from, to), `${from} → ${to}`).toBe(false);
  });

  it('never allows a self-transition and never leaves a terminal state, for any pair', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DEVICE_UPDATE_STATES),
        fc.constantFrom(...DEVICE_UPDATE_STATES),
        (a, b) => {
          if (a === b || isTerminalState(a)) expect(canTransition(a, b)).toBe(false);
          if (canTransition(a, b) && isSettledState(a)) expect([a, b]).toEqual(['failed', 'rolled-back']);
        },
      ),
    );
  });

  it('any sequence of legal moves is finite: at most 7 moves from pending', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...DEVICE_UPDATE_STATES), { maxLength: 40 }), (reports) => {
        let state: DeviceUpdateState = 'pending';
        let moves = 0;
        for (const r of reports) {
          if (canTransition(state, r)) {
            state = r;
            moves++;
          }
        }
        expect(moves).toBeLessThanOrEqual(7);
      }),
    );
  });
});
