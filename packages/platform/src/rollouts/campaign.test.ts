import { ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { parseCampaignDefinition, waveQuotas } from './campaign.js';
import { campaign } from './test-fixtures/fleet.js';

describe('campaign definition', () => {
  it('applies the defaults', () => {
    const parsed = parseCampaignDefinition(campaign());
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({
      waves: [1, 10, 50, 100],
      successPercent: 95,
      abortAtFailurePercent: 10,
      deviceTimeoutMs: 3_600_000,
      soakMs: 0,
      urgent: false,
      target: {},
      maintenanceWindows: [],
    });
    expect(parsed.value.pauseAtFailurePercent).toBeUndefined();
  });

  it('accepts JSON text', () => {
    expect(parseCampaignDefinition(JSON.stringify(campaign({ waves: [50, 100] }))).ok).toBe(true);
  });

  it.each([
    ['waves that do not increase', { waves: [10, 10, 100] }, 'waves.1'],
    ['waves that do not end at 100', { waves: [10, 50] }, 'waves.1'],
    ['a wave of 0 %', { waves: [0, 100] }, 'waves.0'],
    [
      'a pause threshold above the abort threshold',
      { pauseAtFailurePercent: 30, abortAtFailurePercent: 20 },
      'pauseAtFailurePercent',
    ],
    [
      'an unknown time zone',
      { maintenanceWindows: [{ start: '02:00', end: '04:00', timeZone: 'Mars/Olympus' }] },
      'maintenanceWindows.0.timeZone',
    ],
    [
      'a window of zero length',
      { maintenanceWindows: [{ start: '02:00', end: '02:00' }] },
      'maintenanceWindows.0.end',
    ],
    [
      'a time of 24:00',
      { maintenanceWindows: [{ start: '22:00', end: '24:00' }] },
      'maintenanceWindows.0.end',
    ],
    ['an unknown field', { wavez: [100] }, ''],
    ['a timeout of 0', { deviceTimeoutMs: 0 }, 'deviceTimeoutMs'],
  ])('refuses %s, naming the field', (_, over, path) => {
    const parsed = parseCampaignDefinition(campaign(over as never));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toBeInstanceOf(ValidationError);
    expect(parsed.error.issues.map((i) => i.path)).toContain(path);
  });

  it('takes one image per hardware id (targets), and refuses both or neither, a missing or a stray hardware id', () => {
    const perHardware = {
      targets: { 'po-200.rev-a': 'po-200/rev-a/2.4.1.bin', 'po-200.rev-b': 'po-200/rev-b/2.4.1.bin' },
      version: '2.4.1',
      hardwareIds: ['po-200.rev-a', 'po-200.rev-b'],
    };
    expect(parseCampaignDefinition(campaign({ release: perHardware })).ok).toBe(true);
    const refused = (release: object): string[] => {
      const parsed = parseCampaignDefinition(campaign({ release: release as typeof perHardware }));
      return parsed.ok ? [] : parsed.error.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(refused({ ...perHardware, targetPath: 'po-200/2.4.1.bin' })).toEqual([
      'release.targetPath: give targetPath or targets, not both',
    ]);
    expect(refused({ version: '2.4.1', hardwareIds: ['po-200.rev-a'] })).toEqual([
      'release.targetPath: give targetPath or targets, not both',
    ]);
    expect(refused({ ...perHardware, hardwareIds: ['po-200.rev-a', 'po-200.rev-c'] })).toEqual([
      'release.targets.po-200.rev-c: no target for hardware po-200.rev-c',
      'release.targets.po-200.rev-b: po-200.rev-b is not in hardwareIds',
    ]);
  });

  it('refuses text that is not JSON with a ValidationError', () => {
    const parsed = parseCampaignDefinition('{ nope');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.issues[0]?.code).toBe('invalid_json');
  });
});

describe('waveQuotas', () => {
  it('turns cumulative percentages into device counts, at least one device in the first wave', () => {
    expect(waveQuotas([1, 10, 50, 100], 200)).toEqual([2, 20, 100, 200]);
    expect(waveQuotas([1, 10, 50, 100], 5)).toEqual([1, 1, 3, 5]);
    expect(waveQuotas([1, 10, 50, 100], 0)).toEqual([0, 0, 0, 0]);
    expect(waveQuotas([100], 7)).toEqual([7]);
    expect(waveQuotas([33.3, 100], 3)).toEqual([1, 3]);
    expect(waveQuotas([10, 20, 30, 100], 1000)).toEqual([100, 200, 300, 1000]);
  });
});
