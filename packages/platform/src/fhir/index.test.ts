import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as fhir from './index.js';

const DIR = dirname(fileURLToPath(import.meta.url));

/** Every bare module specifier reachable (statically) from `file`. */
function bareImports(file: string, seen = new Set<string>(), bare = new Set<string>()): Set<string> {
  if (seen.has(file)) return bare;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) bareImports(join(dirname(file), spec.replace(/\.js$/, '.ts')), seen, bare);
    else bare.add(spec);
  }
  return bare;
}

describe('@healthit/platform/fhir entry', () => {
  it('loads only @healthit/core: no FHIR client, no Node built-in (runs in browsers)', () => {
    expect([...bareImports(join(DIR, 'index.ts'))]).toEqual(['@healthit/core']);
  });

  it('exports the mapping function, identifiers, tables and skip reasons', () => {
    expect(Object.keys(fhir).sort()).toEqual([
      'BP_COMPONENTS',
      'FHIR_SYSTEMS',
      'MEAN_BLOOD_PRESSURE',
      'METRIC_MAPPINGS',
      'SKIP_REASONS',
      'VITALSIGNS_PROFILE',
      'VITAL_SIGN_PROFILES',
      'assertObservationContext',
      'identifierSearchParam',
      'observationIdentifierValue',
      'readingIdsFromIdentifierValue',
      'toFhirObservations',
      'vitalSignsCategory',
    ]);
  });
});
