/**
 * Fuzzing the embedded FHIR server's reads over HTTP: GET requests against a seeded repository
 * (patients, observations, a device, an encounter), with random paths (types, ids, `_history`,
 * versions, operations, empty and doubled segments, dot segments), search parameters of every kind
 * (token, reference, date, quantity, string, chained, `_has`, `_include`, `_sort`, `_count`,
 * `_summary`, `_elements` ...), modifiers (`:exact`, `:missing`, `:not`, `:Patient`, unknown ones),
 * comparison prefixes and hostile values (huge numbers, impossible dates, bad percent escapes,
 * control characters, 10 000-character strings), plus genuine request URLs mutated as text. Every
 * request is answered 2xx with a FHIR JSON body, or 4xx with an OperationOutcome — a 5xx, another
 * status or a dropped connection is a crash — in bounded time. The one exception is node:http's own
 * 431 (no body) for a request line over its 16 KiB header limit, which never reaches the server.
 */
import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileScalar, mutatedText } from '../../../../test/fuzz/arbitraries.js';
import { fuzzAsync, fuzzRuns, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { type EmbeddedFhirServer, startEmbeddedFhirServer } from './server.js';

const RUNS = fuzzRuns(500);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Sends `target` (a raw request target: path and query, as given) to the server. */
function send(
  port: number,
  method: 'GET' | 'POST',
  target: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: target,
        method,
        agent,
        headers: body === undefined ? {} : { 'content-type': 'application/fhir+json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const SYS = 'https://hospital.example/sid';
const patient = (n: number) => ({
  fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${n}`,
  resource: {
    resourceType: 'Patient',
    identifier: [{ system: `${SYS}/mrn`, value: `mrn-${n}` }],
    name: [{ family: ['Doe', 'Müller', "O'Brien"][n % 3], given: ['Jo'] }],
    gender: n % 2 ? 'female' : 'male',
    birthDate: `19${50 + n}-0${1 + (n % 9)}-1${n % 10}`,
  },
  request: { method: 'POST', url: 'Patient' },
});
const observation = (n: number, p: number) => ({
  resource: {
    resourceType: 'Observation',
    identifier: [{ system: `${SYS}/reading`, value: `r-${n}` }],
    status: n % 5 ? 'final' : 'amended',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: n % 2 ? '8867-4' : '59408-5' }] },
    subject: { reference: `urn:uuid:00000000-0000-4000-8000-00000000000${p}` },
    encounter: { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000e1' },
    device: { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000d1' },
    effectiveDateTime: `2026-01-0${1 + (n % 9)}T0${n % 10}:00:00Z`,
    valueQuantity: { value: 60 + n, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  },
  request: { method: 'POST', url: 'Observation' },
});
const SEED = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    ...[1, 2, 3, 4].map(patient),
    {
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000d1',
      resource: {
        resourceType: 'Device',
        identifier: [{ system: `${SYS}/device`, value: 'mon-1' }],
        status: 'active',
      },
      request: { method: 'POST', url: 'Device' },
    },
    {
      fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000e1',
      resource: {
        resourceType: 'Encounter',
        status: 'in-progress',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
        subject: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' },
      },
      request: { method: 'POST', url: 'Encounter' },
    },
    ...Array.from({ length: 24 }, (_, n) => observation(n, 1 + (n % 4))),
  ],
};

const TYPES = ['Patient', 'Observation', 'Device', 'Encounter', 'Bundle', 'OperationOutcome', 'Practitioner'];
const PARAMS = [
  '_id',
  '_lastUpdated',
  '_count',
  '_offset',
  '_sort',
  '_summary',
  '_elements',
  '_total',
  '_include',
  '_revinclude',
  '_tag',
  '_profile',
  '_security',
  '_text',
  '_content',
  '_list',
  '_type',
  '_format',
  '_pretty',
  '_has:Observation:subject:code',
  '_has:Observation:patient:_id',
  '_has',
  'identifier',
  'code',
  'subject',
  'patient',
  'encounter',
  'device',
  'date',
  'status',
  'category',
  'value-quantity',
  'component-code-value-quantity',
  'combo-code',
  'name',
  'family',
  'given',
  'birthdate',
  'gender',
  'address',
  'telecom',
  'subject.name',
  'subject:Patient.identifier',
  'patient.birthdate',
  'subject.subject.name',
];
const MODIFIERS = [
  ':exact',
  ':contains',
  ':missing',
  ':not',
  ':text',
  ':above',
  ':below',
  ':in',
  ':not-in',
  ':of-type',
  ':identifier',
  ':iterate',
  ':Patient',
  ':Device',
  ':recurse',
  ':',
  '::',
];
const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'xx'];
const VALUES = [
  '2026-01-03',
  '2026-01-03T08:00:00Z',
  '2026-01-03T08:00:00+14:00',
  '2026',
  '2026-01',
  '2026-13-45',
  '2026-02-30T25:61:61Z',
  'T08:00',
  '72',
  '-0',
  '0.000000001',
  '1e999',
  '-1e308',
  'NaN',
  'Infinity',
  '9'.repeat(400),
  'http://loinc.org|8867-4',
  '|8867-4',
  'http://loinc.org|',
  '|',
  '||',
  '8867-4',
  `${SYS}/mrn|mrn-1`,
  '72|http://unitsofmeasure.org|/min',
  '72||/min',
  'Patient/',
  'Patient/does-not-exist',
  'http://other.example/fhir/Patient/1',
  'urn:uuid:00000000-0000-4000-8000-000000000001',
  'true',
  'false',
  'count',
  'data',
  'text',
  'accurate',
  'estimate',
  'none',
  '-date',
  '_lastUpdated',
  '-_id',
  'Observation:subject',
  'Observation:subject:Patient',
  'Observation:*',
  '*',
  'Patient:nothing',
  'Bogus:x:y',
  'id,meta,subject',
  'a,b,,c,',
  'Doe',
  'müller',
  '0',
  '-1',
  '1000000',
  '2147483648',
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%2C',
  '%7C',
  ',',
  '',
];

const utf8 = new TextEncoder();
const pct = (b: number): string => `%${b.toString(16).padStart(2, '0').toUpperCase()}`;
/** Percent-encodes only what may not appear raw in a request target (`&`, `=`, `%`, `?` stay raw). */
const raw = (s: string): string =>
  [...utf8.encode(s)]
    .map((b) => (b > 0x20 && b < 0x7f && b !== 0x23 ? String.fromCharCode(b) : pct(b)))
    .join('');
/** Percent-encodes everything but unreserved characters (a lone surrogate becomes U+FFFD). */
const strict = (s: string): string =>
  [...utf8.encode(s)]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : pct(b),
    )
    .join('');

const text = fc.oneof(
  { arbitrary: fc.constantFrom(...VALUES), weight: 8 },
  { arbitrary: hostileScalar.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))), weight: 3 },
  { arbitrary: fc.string({ maxLength: 16 }), weight: 2 },
  { arbitrary: fc.constantFrom('x'.repeat(10_000), `${'a,'.repeat(2_000)}a`), weight: 1 },
);

describe('embedded FHIR server fuzzing (HTTP GET: reads, searches, history)', () => {
  let server: EmbeddedFhirServer;
  let ids: string[] = [];
  let versions: string[] = [];
  let urls: string[] = [];
  /** The FHIR base path, `/fhir`. */
  let base = '';
  beforeAll(async () => {
    server = await startEmbeddedFhirServer({ validate: true });
    base = new URL(server.baseUrl).pathname;
    const res = await send(server.port, 'POST', base, JSON.stringify(SEED));
    expect(res.status).toBe(200);
    const bundle = JSON.parse(res.body) as { entry: { response: { location: string } }[] };
    const locations = bundle.entry.map((e) => e.response.location);
    // `Patient/<id>/_history/<vid>`
    ids = locations.map((l) => l.split('/')[1] as string);
    versions = locations.map((l) => l.split('/')[3] as string);
    urls = [
      '/Patient',
      `/Patient/${ids[0]}`,
      `/Patient/${ids[0]}/_history/${versions[0]}`,
      '/Patient/_history',
      `/Patient?identifier=${SYS}/mrn|mrn-2&_count=1`,
      '/Observation?code=http://loinc.org|8867-4&date=ge2026-01-02&_sort=-date&_count=3',
      `/Observation?subject=Patient/${ids[1]}&_include=Observation:subject&_summary=true`,
      `/Patient?_has:Observation:subject:code=8867-4&_revinclude=Observation:subject`,
      '/Observation?value-quantity=gt70|http://unitsofmeasure.org|/min&status:not=final',
      '/Observation?subject.name=Doe&_elements=id,subject&_total=accurate',
      '/metadata',
      '/_history',
      '/?_type=Patient,Device',
    ];
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await server?.close();
  });

  it(
    'GET reads, searches and histories: 2xx, or 4xx with an OperationOutcome; never 5xx',
    async () => {
      const id = fc.oneof(
        { arbitrary: fc.constantFrom(...ids), weight: 4 },
        {
          arbitrary: fc.constantFrom(
            'does-not-exist',
            '',
            '.',
            '..',
            '%2e%2e',
            '$everything',
            '_history',
            '_search',
            'x'.repeat(5_000),
          ),
          weight: 2,
        },
        { arbitrary: text, weight: 1 },
      );
      const type = fc.oneof(
        { arbitrary: fc.constantFrom(...TYPES), weight: 6 },
        {
          arbitrary: fc.constantFrom(
            'patient',
            'PATIENT',
            'Unknown',
            '',
            '_history',
            'metadata',
            '$export',
            '%50atient',
          ),
          weight: 2,
        },
        { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
      );
      const segments: fc.Arbitrary<string[]> = fc.oneof(
        { arbitrary: fc.tuple(type).map((t): string[] => [...t]), weight: 8 }, // a search
        { arbitrary: fc.tuple(type, id).map((t): string[] => [...t]), weight: 3 }, // a read
        { arbitrary: fc.tuple(type, id, fc.constant('_history')).map((t): string[] => [...t]), weight: 1 },
        {
          arbitrary: fc
            .tuple(type, id, fc.constant('_history'), fc.oneof(fc.constantFrom(...versions), text))
            .map((t): string[] => [...t]),
          weight: 1,
        },
        {
          arbitrary: fc
            .tuple(type, fc.constantFrom('_history', '_search', '$validate', '$everything', '$meta', '_'))
            .map((t): string[] => [...t]),
          weight: 1,
        },
        {
          arbitrary: fc
            .tuple(type, id, fc.constantFrom('$everything', '$meta', '$validate', '*', '_history', ''))
            .map((t): string[] => [...t]),
          weight: 1,
        },
        { arbitrary: fc.constantFrom<string[]>(['_history'], [], ['metadata']), weight: 1 },
        { arbitrary: fc.array(text, { maxLength: 6 }), weight: 1 },
      );
      const param = fc
        .record({
          name: fc.oneof(
            { arbitrary: fc.constantFrom(...PARAMS), weight: 8 },
            { arbitrary: text, weight: 1 },
          ),
          modifier: fc.oneof(
            { arbitrary: fc.constant(''), weight: 6 },
            { arbitrary: fc.constantFrom(...MODIFIERS), weight: 3 },
            { arbitrary: fc.string({ maxLength: 8 }).map((s) => `:${s}`), weight: 1 },
          ),
          prefix: fc.oneof(
            { arbitrary: fc.constant(''), weight: 4 },
            { arbitrary: fc.constantFrom(...PREFIXES), weight: 1 },
          ),
          value: fc.oneof(
            { arbitrary: text, weight: 6 },
            { arbitrary: fc.constantFrom(...ids).map((i) => `Patient/${i}`), weight: 1 },
            { arbitrary: fc.array(text, { minLength: 2, maxLength: 4 }).map((v) => v.join(',')), weight: 1 },
          ),
          unescaped: fc.nat({ max: 4 }).map((n) => n === 0), // now and then `&`, `=`, `%` left raw
        })
        .map(({ name, modifier, prefix, value, unescaped }) => {
          const esc = unescaped ? raw : strict;
          return `${esc(name)}${raw(modifier)}=${esc(prefix + value)}`;
        });
      const built = fc
        .record({
          leading: fc.oneof(
            { arbitrary: fc.constant('/'), weight: 12 },
            { arbitrary: fc.constantFrom('//', '/./', '/../', '/%2e%2e/'), weight: 1 },
          ),
          segments,
          query: fc.array(param, { maxLength: 6 }),
          bare: fc.nat({ max: 9 }).map((n) => n === 0), // `&&=&x`: empty and valueless parameters
        })
        .map(({ leading, segments: s, query, bare }) => {
          const path = `${base}${leading}${s.map(raw).join('/')}`;
          const q = bare ? '&&=&x' : query.join('&');
          return `${path}${q === '' ? '' : `?${q}`}`;
        });
      /** Genuine URLs damaged as text; and request targets outside the base, odd forms included. */
      const mutated = mutatedText(
        [
          ...urls.map((u) => base + u),
          '/',
          '//',
          '//[',
          '//x/fhir/Patient',
          '/fhir%2FPatient',
          '/FHIR/Patient',
          '/%2e%2e/fhir',
        ],
        [
          '/',
          '//',
          '?',
          '&',
          '=',
          ':',
          '|',
          ',',
          '%',
          '%00',
          '%zz',
          '%2F',
          '_history',
          '$',
          '..',
          '[',
          '@',
          'x'.repeat(1_000),
        ],
      ).map((u) => raw(u.startsWith('/') ? u : `/${u}`)); // origin-form: node:http refuses anything else itself
      const r = await fuzzAsync({
        name: 'FHIR server GET reads / searches / history (HTTP, random paths and parameters)',
        runs: RUNS,
        inputs: fc.oneof({ arbitrary: built, weight: 3 }, { arbitrary: mutated, weight: 1 }),
        typed: () => undefined, // the server answers; it does not throw
        maxMsPerInput: 5_000,
        run: async (target) => {
          const path = target === '' ? '/' : target;
          const res = await send(server.port, 'GET', path);
          // node:http itself refuses a request line over its 16 KiB header limit, before the server
          // sees the request: 431 with no body (a finding, not a crash; see docs/fuzzing.md)
          if (res.status === 431 && res.body === '' && path.length > 16_000)
            return '431 (node:http, no body)';
          const body = res.body === '' ? undefined : (JSON.parse(res.body) as { resourceType?: string });
          if (res.status >= 200 && res.status < 300) {
            if (body !== undefined && typeof body.resourceType !== 'string')
              throw new Error(`a ${res.status} without a FHIR resource for ${path}`);
            return `${res.status} ${body?.resourceType ?? '(empty)'}`;
          }
          if (res.status >= 400 && res.status < 500) {
            if (body?.resourceType !== 'OperationOutcome')
              throw new Error(`a ${res.status} without an OperationOutcome for ${path}`);
            return `${res.status} OperationOutcome`;
          }
          throw new Error(`HTTP ${res.status} for GET ${path.slice(0, 300)}: ${res.body.slice(0, 300)}`);
        },
      });
      expect(r.returned).toBe(r.runs);
      expect(r.outcomes['200 Bundle']).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000, RUNS),
  );
});
