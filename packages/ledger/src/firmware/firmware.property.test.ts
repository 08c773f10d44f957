import { UpdateRejectedError } from '@healthit/core/updates';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FirmwareAuthorisationProof } from './bundle.js';
import {
  createReleaseLog,
  HARDWARE,
  type ReleaseLog,
  releaseBody,
  testImage,
} from './test-fixtures/release-log.js';
import { firmwareAuthorisationVerifier, type LedgerFirmwareAuthorisationVerifier } from './verify.js';

const IMAGE = testImage('po-200 2.4.1 release');
const CLAIM = { sha256: IMAGE.sha256, version: '2.4.1', hardwareId: HARDWARE };

/** Every leaf value of a JSON value with its path. */
function leaves(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; value: string | number }[] {
  if (typeof value === 'string' || typeof value === 'number') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [];
}

/** Flips one bit of the UTF-8 bytes of `text`; undefined when the result is no longer UTF-8 text. */
function flip(text: string, at: number, bit: number): string {
  const bytes = new TextEncoder().encode(text);
  const i = at % bytes.length;
  bytes[i] = (bytes[i] as number) ^ (1 << bit);
  return new TextDecoder().decode(bytes);
}

describe('firmware authorisation: any single mutation of a valid proof is refused', () => {
  let r: ReleaseLog;
  let proof: FirmwareAuthorisationProof;
  let verifier: LedgerFirmwareAuthorisationVerifier;

  beforeAll(async () => {
    r = createReleaseLog({ witnessCount: 2 }); // the device requires both witnesses
    await r.appendOther();
    const index = await r.authorise(releaseBody(IMAGE), ['acme-release', 'acme-qa', 'mary-biomed']);
    await r.appendOther();
    await r.appendOther();
    proof = await r.prove(index);
    verifier = firmwareAuthorisationVerifier(r.trust());
    expect(verifier.verify(proof, CLAIM).ok).toBe(true);
  });
  afterAll(async () => {
    await r.log.close();
  });

  /** True when `input` (a proof object, or text that may not parse) is refused as not authorised. */
  function refused(input: unknown, claim = CLAIM): boolean {
    const verdict = verifier.verify(input, claim);
    if (verdict.ok) return false;
    expect(verdict.error).toBeInstanceOf(UpdateRejectedError);
    expect(verdict.error.reason).toBe('not-authorised');
    return true;
  }

  it('a bit flip anywhere in the proof JSON', () => {
    const text = JSON.stringify(proof);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        expect(refused(flip(text, at, bit))).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('a bit flip in any one field', () => {
    const fields = leaves(proof);
    fc.assert(
      fc.property(fc.nat(fields.length - 1), fc.nat(), fc.integer({ min: 0, max: 7 }), (f, at, bit) => {
        const { path, value } = fields[f] as (typeof fields)[number];
        let mutated: unknown;
        try {
          mutated = JSON.parse(flip(JSON.stringify(value), at, bit));
        } catch {
          return; // the proof file would not parse: refused
        }
        const copy = JSON.parse(JSON.stringify(proof)) as Record<string | number, unknown>;
        let target = copy;
        for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
        target[path[path.length - 1] as string | number] = mutated;
        expect(refused(copy)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('a structural change: a member removed, added or replaced, a hash or a checkpoint line dropped, swapped or duplicated', () => {
    type P = { entry: { index: number; bytes: string; proof: string[] }; checkpoint: string } & Record<
      string,
      unknown
    >;
    const lines = (p: P) => p.checkpoint.slice(0, -1).split('\n');
    const mutations: Record<string, (p: P, n: number) => void> = {
      'drop a member': (p, n) => {
        const keys = Object.keys(p);
        delete p[keys[n % keys.length] as string];
      },
      'add a member': (p) => {
        p.extra = 'x';
      },
      'add an entry member': (p) => {
        (p.entry as Record<string, unknown>).extra = 1;
      },
      'drop a proof hash': (p, n) => {
        p.entry.proof.splice(n % p.entry.proof.length, 1);
      },
      'duplicate a proof hash': (p, n) => {
        p.entry.proof.splice(n % p.entry.proof.length, 0, p.entry.proof[n % p.entry.proof.length] as string);
      },
      'swap two proof hashes': (p, n) => {
        const i = n % (p.entry.proof.length - 1);
        [p.entry.proof[i], p.entry.proof[i + 1]] = [
          p.entry.proof[i + 1] as string,
          p.entry.proof[i] as string,
        ];
      },
      'replace a proof hash': (p, n) => {
        p.entry.proof[n % p.entry.proof.length] = (n % 256).toString(16).padStart(2, '0').repeat(32);
      },
      'shift the index': (p, n) => {
        p.entry.index = (p.entry.index + 1 + (n % 5)) % 7;
      },
      'drop a checkpoint line': (p, n) => {
        const l = lines(p);
        l.splice(n % l.length, 1);
        p.checkpoint = `${l.join('\n')}\n`;
      },
      'duplicate a signature line into the text': (p, n) => {
        const l = lines(p);
        const sig = l.slice(-3);
        l.splice(1 + (n % 3), 0, sig[n % 3] as string);
        p.checkpoint = `${l.join('\n')}\n`;
      },
      'truncate the entry bytes': (p, n) => {
        p.entry.bytes = p.entry.bytes.slice(0, -4 * (1 + (n % 8)));
      },
      'append to the entry bytes': (p) => {
        p.entry.bytes = `${p.entry.bytes}AAAA`;
      },
    };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(mutations)), fc.nat(), (name, n) => {
        const p = JSON.parse(JSON.stringify(proof)) as P;
        (mutations[name] as (p: P, n: number) => void)(p, n);
        expect(refused(p), name).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('any other image: another digest, version or unlisted hardware id', () => {
    const hex = fc.constantFrom(...'0123456789abcdef');
    const otherDigest = fc
      .tuple(fc.nat(63), hex)
      .map(([i, c]) => `${IMAGE.sha256.slice(0, i)}${c}${IMAGE.sha256.slice(i + 1)}`)
      .filter((d) => d !== IMAGE.sha256);
    const claims = fc.oneof(
      otherDigest.map((sha256) => ({ ...CLAIM, sha256 })),
      fc
        .stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}$/)
        .filter((v) => v !== '2.4.1')
        .map((version) => ({ ...CLAIM, version })),
      fc
        .stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/)
        .filter((h) => h !== HARDWARE && h !== 'po-200.rev-b')
        .map((hardwareId) => ({ ...CLAIM, hardwareId })),
    );
    fc.assert(
      fc.property(claims, (claim) => {
        expect(refused(proof, claim)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
