import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CliIo, EXIT, main } from './cli.js';

const VECTORS = new URL('../../test/vectors/iomt-fhir/', import.meta.url);

function io(files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (p) => files[p] ?? readFileSync(new URL(p, VECTORS), 'utf8'),
    now: () => new Date('2024-01-01T00:00:00Z'),
  };
  return { cli, out: () => out.join(''), err: () => err.join('') };
}

describe('healthit-iomt-fhir CLI', () => {
  const args = [
    '--device',
    'msdocs-end-to-end-heartrate/2-device-mapping.json',
    '--fhir',
    'msdocs-end-to-end-heartrate/4-fhir-destination-mapping.json',
    'msdocs-end-to-end-heartrate/1-device-message.json',
  ];

  it('prints lint findings, measurements, Observations and Readings; exit 0', async () => {
    const t = io();
    expect(await main(args, t.cli)).toBe(EXIT.ok);
    expect(t.out()).toContain('ucum/non-ucum-unit');
    expect(t.out()).toContain('"occurrenceTimeUtc": "2023-03-13T22:46:01.875Z"');
    expect(t.out()).toContain('"resourceType": "Observation"');
    expect(t.out()).toContain('"metric": "heart-rate"');
  });

  it('--json writes one JSON document; --strict fails on lint warnings', async () => {
    const t = io();
    expect(await main([...args, '--json'], t.cli)).toBe(EXIT.ok);
    const doc = JSON.parse(t.out());
    expect(doc.observations[0].valueQuantity.code).toBe('/min');
    expect(doc.messages[0].measurements).toHaveLength(1);
    expect(await main([...args, '--strict'], io().cli)).toBe(EXIT.failed);
  });

  it('exits non-zero on a template error, naming template index and field', async () => {
    const t = io({
      'bad.json': JSON.stringify({
        templateType: 'CollectionContent',
        template: [{ templateType: 'JsonPathContent', template: { typeName: 'x' } }],
      }),
    });
    expect(
      await main(['--device', 'bad.json', 'msdocs-end-to-end-heartrate/1-device-message.json'], t.cli),
    ).toBe(EXIT.failed);
    expect(t.err()).toContain('template[0].template.typeMatchExpression');
  });

  it('usage errors exit 2', async () => {
    expect(await main([], io().cli)).toBe(EXIT.usage);
    expect(await main(['--bogus'], io().cli)).toBe(EXIT.usage);
    expect(await main(['--help'], io().cli)).toBe(EXIT.ok);
  });
});
