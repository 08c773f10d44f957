/**
 * The FHIR server process: the platform's embedded FHIR R4 server (Medplum's router over an
 * in-memory repository) on 127.0.0.1, any free port. It stands in for the hospital's FHIR server
 * (HAPI, Azure Health Data Services, Google Cloud Healthcare API, …): the platform exports to its
 * base URL over HTTP and would export to theirs the same way. Started by the launcher, first.
 *
 * When told to drain, it writes the identifier value of every Observation of the run (one per line,
 * duplicates included) to `<workDir>/observations.txt` for the end-to-end check, read straight from
 * its repository: paging a search through tens of thousands of Observations is slow on this
 * in-memory server (against a real one, page `Observation?identifier=<system>|`).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmbeddedFhirServer } from '@healthit/platform/fhir-server';
import { childConfig, childLifecycle, runNames, tell } from './shared.js';

const config = childConfig();
const { observationSystem } = runNames(config.runId);
let server: Awaited<ReturnType<typeof startEmbeddedFhirServer>> | undefined;
const { fail } = childLifecycle(async () => {
  if (server === undefined) return {};
  const all = await server.repository.search({ resourceType: 'Observation', count: 10_000_000 });
  const values: string[] = [];
  for (const entry of all.entry ?? []) {
    const identifiers = (entry.resource as { identifier?: { system?: string; value?: string }[] }).identifier;
    const value = identifiers?.find((i) => i.system === observationSystem)?.value;
    if (value !== undefined) values.push(value);
  }
  await writeFile(join(config.workDir, 'observations.txt'), values.join('\n'));
  await server.close();
  return { observations: values.length };
});
try {
  server = await startEmbeddedFhirServer({ host: '127.0.0.1', port: 0 });
  await tell({ type: 'ready', baseUrl: server.baseUrl });
} catch (e) {
  await fail(e);
}
