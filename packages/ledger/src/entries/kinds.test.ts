import { describe, expect, it } from 'vitest';
import { BODIES, unsigned } from '../../test/entries-fixtures.js';
import { parseEntry } from './codec.js';
import { EntryError } from './errors.js';
import { EntryBodies, type EntryKind, EntryKinds } from './kinds.js';

/** One invalid variant of each kind's sample body, and the field the error must name. */
const INVALID: { [K in EntryKind]: [string, Record<string, unknown>][] } = {
  'reading.batch': [
    ['count', { count: 0 }],
    ['lastTs', { lastTs: 0 }],
    ['lastSeq', { lastSeq: 11 }],
    ['root', { root: 'A'.repeat(64) }],
    ['patientId', { patientId: 'patient-1' }],
  ],
  'custody.transfer': [
    ['to', { to: '' }],
    ['conditions', { conditions: { excursions: 0 } }],
    ['lots', { lots: [] }],
    ['quantity', { quantity: 0 }],
  ],
  'config.change': [
    ['digest', { digest: 'abc' }],
    ['version', { version: -1 }],
  ],
  'firmware.authorize': [
    ['hardwareIds', { hardwareIds: [] }],
    ['imageDigest', { imageDigest: undefined }],
  ],
  'firmware.rollout.device-state': [
    ['to', { to: 'bricked' }],
    ['wave', { wave: 0 }],
  ],
  'firmware.rollout.campaign': [
    ['decision', { decision: 'forgotten' }],
    ['counts', { counts: { pending: 1 } }],
  ],
  'model.approve': [
    ['metrics', { metrics: { auroc: 'high' } }],
    ['version', { version: '' }],
  ],
  'policy.update': [['version', { version: 0 }]],
  'device.onboarded': [
    ['publicKey', { publicKey: 'zz' }],
    ['owner', { owner: ' acme' }],
  ],
  'key.revoke': [['reason', { reason: 'forgot' }]],
  'device.decommissioned': [['dataWiped', { dataWiped: 'yes' }]],
  'security.event': [
    ['severity', { severity: 'urgent' }],
    ['description', { description: '\uD800' }],
  ],
};

describe('entry kinds', () => {
  it('are exactly the ten kinds of the ledger issue and the two of the rollout audit trail', () => {
    expect([...EntryKinds].sort()).toEqual(
      [
        'config.change',
        'custody.transfer',
        'device.decommissioned',
        'device.onboarded',
        'firmware.authorize',
        'firmware.rollout.campaign',
        'firmware.rollout.device-state',
        'key.revoke',
        'model.approve',
        'policy.update',
        'reading.batch',
        'security.event',
      ].sort(),
    );
  });

  describe.each(EntryKinds)('%s', (kind) => {
    it('accepts the sample body and rejects an unknown body member', () => {
      expect(EntryBodies[kind].safeParse(BODIES[kind]).success).toBe(true);
      expect(parseEntry({ ...unsigned(kind), signatures: [] }).kind).toBe(kind);
      expect(EntryBodies[kind].safeParse({ ...BODIES[kind], note: 'x' }).success).toBe(false);
    });

    it.each(INVALID[kind])('rejects a bad %s, naming it', (field, change) => {
      const body = { ...BODIES[kind], ...change };
      expect(() => parseEntry({ ...unsigned(kind), body, signatures: [] })).toThrow(EntryError);
      const result = EntryBodies[kind].safeParse(body);
      expect(result.success).toBe(false);
      const paths = result.error?.issues.map((i) =>
        [...i.path, ...('keys' in i ? (i.keys as string[]) : [])].join('.'),
      );
      expect(paths?.some((p) => p.startsWith(field))).toBe(true);
    });
  });

  it('rejects unknown kinds and kinds spelled differently', () => {
    for (const kind of ['reading.delete', 'Reading.Batch', 'reading-batch', '', 'toString', '__proto__']) {
      expect(() => parseEntry({ ...unsigned('reading.batch'), kind, signatures: [] })).toThrow(EntryError);
    }
  });

  it('a reading.batch body carries a patient commitment, never a patient id', () => {
    expect(Object.keys(EntryBodies['reading.batch'].parse(BODIES['reading.batch']))).toContain('patient');
    expect(
      EntryBodies['reading.batch'].safeParse({ ...BODIES['reading.batch'], patient: 'patient-1' }).success,
    ).toBe(false);
  });

  it('stream ids name a device, shipment or lot', () => {
    for (const stream of ['device:m-1', 'shipment:SHP-1', 'lot:L/7']) {
      expect(parseEntry({ ...unsigned('key.revoke', { stream }), signatures: [] }).stream).toBe(stream);
    }
    for (const stream of ['patient:p-1', 'device:', 'm-1', 'device: m-1']) {
      expect(() => parseEntry({ ...unsigned('key.revoke', { stream }), signatures: [] })).toThrow(EntryError);
    }
  });
});
