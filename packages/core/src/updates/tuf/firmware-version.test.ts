import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareFirmwareVersions, isFirmwareVersion } from './firmware-version.js';

const version = fc
  .array(fc.nat({ max: 999_999_999 }), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('.'));

describe('compareFirmwareVersions', () => {
  it('compares numerically, component by component', () => {
    expect(compareFirmwareVersions('2.10.0', '2.9.3')).toBeGreaterThan(0);
    expect(compareFirmwareVersions('2.4', '2.4.0')).toBe(0);
    expect(compareFirmwareVersions('2.4.0', '2.4.1')).toBeLessThan(0);
    for (const bad of ['', 'v2.4', '2.04', '2..4', '1.2.3.4.5', '2.4-rc1', '1234567890'])
      expect(isFirmwareVersion(bad), bad).toBe(false);
    expect(() => compareFirmwareVersions('latest', '1.0')).toThrow(RangeError);
  });

  it('property: a total order (antisymmetric, transitive) that agrees with numeric tuples', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareFirmwareVersions(a, b)) + Math.sign(compareFirmwareVersions(b, a))).toBe(0);
        if (compareFirmwareVersions(a, b) <= 0 && compareFirmwareVersions(b, c) <= 0)
          expect(compareFirmwareVersions(a, c)).toBeLessThanOrEqual(0);
        const pad = (v: string) => [...v.split('.').map(Number), 0, 0, 0].slice(0, 4);
        const [pa, pb] = [pad(a), pad(b)];
        const i = pa.findIndex((x, k) => x !== pb[k]);
        expect(Math.sign(compareFirmwareVersions(a, b))).toBe(
          i < 0 ? 0 : Math.sign((pa[i] as number) - (pb[i] as number)),
        );
      }),
    );
  });
});
