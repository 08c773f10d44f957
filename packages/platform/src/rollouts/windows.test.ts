import { describe, expect, it } from 'vitest';
import { isWindowOpen, MaintenanceWindow, minuteOfDay, msUntilWindowOpens } from './windows.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const win = (w: unknown) => MaintenanceWindow.parse(w);

describe('maintenance windows', () => {
  it('reads the local minute of the day, following daylight-saving time', () => {
    expect(minuteOfDay(at('2025-01-15T02:30:00Z'), 'UTC')).toBe(150);
    expect(minuteOfDay(at('2025-01-15T02:30:00Z'), 'Europe/Berlin')).toBe(210); // CET, UTC+1
    expect(minuteOfDay(at('2025-07-15T02:30:00Z'), 'Europe/Berlin')).toBe(270); // CEST, UTC+2
    expect(minuteOfDay(at('2025-01-15T02:30:00Z'), 'Asia/Kathmandu')).toBe(8 * 60 + 15); // UTC+5:45
  });

  it('opens at start (inclusive) and closes at end (exclusive)', () => {
    const w = [win({ start: '02:00', end: '04:00' })];
    expect(isWindowOpen(w, 'ward-1', at('2025-01-15T01:59:59Z'))).toBe(false);
    expect(isWindowOpen(w, 'ward-1', at('2025-01-15T02:00:00Z'))).toBe(true);
    expect(isWindowOpen(w, 'ward-1', at('2025-01-15T03:59:59Z'))).toBe(true);
    expect(isWindowOpen(w, 'ward-1', at('2025-01-15T04:00:00Z'))).toBe(false);
  });

  it('crosses midnight when start is after end', () => {
    const w = [win({ start: '22:00', end: '04:00' })];
    expect(isWindowOpen(w, 'x', at('2025-01-15T23:00:00Z'))).toBe(true);
    expect(isWindowOpen(w, 'x', at('2025-01-15T01:00:00Z'))).toBe(true);
    expect(isWindowOpen(w, 'x', at('2025-01-15T12:00:00Z'))).toBe(false);
  });

  it('applies only to the wards it lists; a ward without windows is always open', () => {
    const w = [win({ wards: ['icu'], start: '02:00', end: '04:00' })];
    expect(isWindowOpen(w, 'icu', at('2025-01-15T12:00:00Z'))).toBe(false);
    expect(isWindowOpen(w, 'ward-7', at('2025-01-15T12:00:00Z'))).toBe(true);
    expect(isWindowOpen([], 'icu', at('2025-01-15T12:00:00Z'))).toBe(true);
  });

  it('is open when any of the ward’s windows is', () => {
    const w = [win({ start: '02:00', end: '03:00' }), win({ start: '13:00', end: '14:00' })];
    expect(isWindowOpen(w, 'x', at('2025-01-15T13:30:00Z'))).toBe(true);
    expect(isWindowOpen(w, 'x', at('2025-01-15T12:30:00Z'))).toBe(false);
  });

  it('says how long until the next window opens', () => {
    const w = [win({ start: '02:00', end: '03:00' }), win({ start: '13:00', end: '14:00' })];
    expect(msUntilWindowOpens(w, 'x', at('2025-01-15T12:30:00Z'))).toBe(H / 2);
    expect(msUntilWindowOpens(w, 'x', at('2025-01-15T14:00:00Z'))).toBe(12 * H);
    expect(msUntilWindowOpens(w, 'x', at('2025-01-15T12:59:59.500Z'))).toBe(500);
    expect(msUntilWindowOpens(w, 'x', at('2025-01-15T13:00:00Z'))).toBe(0);
    const berlin = [win({ start: '03:00', end: '04:00', timeZone: 'Europe/Berlin' })];
    expect(msUntilWindowOpens(berlin, 'x', at('2025-01-15T00:00:00Z'))).toBe(2 * H);
  });
});
