import { HealthItError } from '@healthit/core';
import type { Client } from 'fhir-kit-client';
import { codeForStatus, describeOutcome, FhirExportError } from '../fhir-export/errors.js';
import { type BusinessIdentifier, createIdentifierResolver } from '../fhir-export/resolver.js';
import { RetriesFailed, type RetryOptions, withRetry } from '../fhir-export/retry.js';
import type { FhirBundle, FhirResource } from '../fhir-export/types.js';
import { type CodeRef, codeKeys, OXYGEN_MEDICATIONS, OXYGEN_PROCEDURES, SCALE2_CONDITIONS } from './codes.js';

/** A reference with its display text. */
export interface ContextReference {
  /**
   * A literal reference, e.g. `Location/ward-7` or `Practitioner/123`; absent when the server gave
   * only a display.
   */
  readonly reference?: string;
  /** The server's display text for it, e.g. the ward's or the clinician's name. */
  readonly display?: string;
}

/** A member of the care team. */
export interface CareTeamMember extends ContextReference {
  /**
   * The member's role on the team: the text (else first coding's display) of the participant's
   * first role, e.g. `Primary nurse`.
   */
  readonly role?: string;
}

/** The patient's care team (R4 `CareTeam`). */
export interface ContextCareTeam {
  /** `CareTeam/{id}` on the server. */
  readonly reference?: string;
  /** The team's name, e.g. `Ward 7 day team`, when the CareTeam has one. */
  readonly name?: string;
  /** The participants, in the server's order, each with its reference, display and role when given. */
  readonly members: readonly CareTeamMember[];
}

/**
 * What the FHIR server says about a patient that NEWS2 scoring and alert routing need.
 * `spo2Scale` and `onOxygen` are the NEWS2 input fields of the same names.
 */
export interface ClinicalContext {
  /** `Patient/{id}`. */
  readonly patient: string;
  /** 2 when an active, confirmed Condition indicates hypercapnic respiratory failure ({@link SCALE2_CONDITIONS}). */
  readonly spo2Scale: 1 | 2;
  /**
   * True when oxygen is actively prescribed (an active MedicationRequest for oxygen) or an oxygen
   * therapy Procedure is in progress. A prescription is not proof that the mask is on: a device's
   * or a nurse's charted flow should override it.
   */
  readonly onOxygen: boolean;
  /** The current (in-progress) Encounter, `Encounter/{id}`. */
  readonly encounter?: string;
  /** The Encounter's active location — the ward (a location of physical type `wa` first). */
  readonly ward?: ContextReference;
  /**
   * The active CareTeam of the current Encounter (else the patient's first active one); absent when
   * the server has none.
   */
  readonly careTeam?: ContextCareTeam;
  /** The references of the resources each decision rests on, for the audit trail. */
  readonly evidence: { readonly scale2: readonly string[]; readonly oxygen: readonly string[] };
  /** Epoch ms when it was read from the server. */
  readonly fetchedAt: number;
  /** True when the server could not be reached and an older context (within `maxStaleMs`) is served. */
  readonly stale: boolean;
}

/** Options of {@link createClinicalContextProvider}. */
export interface ClinicalContextProviderOptions {
  /** A fhir-kit-client Client (caller-owned). */
  readonly client: Client;
  /** How long a context is served from the cache before it is read again (default 5 min). */
  readonly ttlMs?: number;
  /** Bound on cached patients (default 1 000); the least recently used is evicted first. */
  readonly maxPatients?: number;
  /**
   * When a refresh fails, how long past its TTL the last context may still be served, flagged
   * `stale: true` (default 0: the error is thrown).
   */
  readonly maxStaleMs?: number;
  /** Extra Conditions that indicate Scale 2 (added to {@link SCALE2_CONDITIONS}). */
  readonly scale2Conditions?: readonly Pick<CodeRef, 'system' | 'code'>[];
  /** Extra oxygen medication codes (added to {@link OXYGEN_MEDICATIONS}). */
  readonly oxygenMedications?: readonly Pick<CodeRef, 'system' | 'code'>[];
  /** Extra oxygen therapy procedure codes (added to {@link OXYGEN_PROCEDURES}). */
  readonly oxygenProcedures?: readonly Pick<CodeRef, 'system' | 'code'>[];
  /** Pages followed per search (default 10). */
  readonly maxPages?: number;
  /** Retrying of the FHIR searches (see `RetryOptions`; default 5 retries with backoff). */
  readonly retry?: RetryOptions;
  /** Time in epoch ms (default `Date.now`). */
  readonly clock?: () => number;
}

/** Reads and caches {@link ClinicalContext}s. */
export interface ClinicalContextProvider {
  /**
   * The context of a patient (`Patient/123`, or a business identifier looked up on the server).
   * Served from the cache while fresh; concurrent calls for one patient share one read.
   * @throws {FhirExportError} `validation/invalid` for an unknown patient identifier;
   * `store/unavailable` when the server cannot be reached (and no stale context may be served).
   */
  contextFor(patient: string | BusinessIdentifier, signal?: AbortSignal): Promise<ClinicalContext>;
  /** Drops a patient's cached context (e.g. on an ADT transfer or a new prescription). */
  invalidate(patient: string): void;
  /** Drops every cached context and every cached patient-identifier lookup. */
  clear(): void;
  /** Patients whose context is cached now (at most `maxPatients`). */
  readonly size: number;
}

interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
interface Reference {
  reference?: string;
  display?: string;
}

function matches(concept: CodeableConcept | undefined, keys: ReadonlySet<string>): boolean {
  return (concept?.coding ?? []).some((c) => keys.has(`${c.system}|${c.code}`));
}

function hasCode(concept: CodeableConcept | undefined, system: string, codes: readonly string[]): boolean {
  return (concept?.coding ?? []).some(
    (c) => c.system === system && c.code !== undefined && codes.includes(c.code),
  );
}

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const PHYSICAL_TYPE = 'http://terminology.hl7.org/CodeSystem/location-physical-type';

/**
 * Active and confirmed: `clinicalStatus` active, recurrence or relapse, and `verificationStatus`
 * confirmed or absent. Scale 2 lowers the score of a low SpO2, so a provisional, differential,
 * refuted or resolved diagnosis never selects it.
 */
function isActiveConfirmed(condition: FhirResource): boolean {
  const clinical = condition.clinicalStatus as CodeableConcept | undefined;
  const verification = condition.verificationStatus as CodeableConcept | undefined;
  return (
    hasCode(clinical, CLINICAL, ['active', 'recurrence', 'relapse']) &&
    (verification === undefined || hasCode(verification, VERIFICATION, ['confirmed']))
  );
}

function ref(r: FhirResource): string {
  return `${r.resourceType}/${r.id ?? ''}`;
}

function startOf(encounter: FhirResource): string {
  return (encounter.period as { start?: string } | undefined)?.start ?? '';
}

function pickWard(encounter: FhirResource): ContextReference | undefined {
  type EncounterLocation = { location?: Reference; status?: string; physicalType?: CodeableConcept };
  const all = (encounter.location as EncounterLocation[] | undefined) ?? [];
  const current = all.filter((l) => l.status === undefined || l.status === 'active');
  const chosen = current.find((l) => hasCode(l.physicalType, PHYSICAL_TYPE, ['wa'])) ?? current[0];
  const loc = chosen?.location;
  if (loc === undefined) return undefined;
  return {
    ...(loc.reference === undefined ? {} : { reference: loc.reference }),
    ...(loc.display === undefined ? {} : { display: loc.display }),
  };
}

function careTeamOf(team: FhirResource): ContextCareTeam {
  type Participant = { member?: Reference; role?: CodeableConcept[] };
  const members = ((team.participant as Participant[] | undefined) ?? []).map((p): CareTeamMember => {
    const role = p.role?.[0]?.text ?? p.role?.[0]?.coding?.[0]?.display;
    return {
      ...(p.member?.reference === undefined ? {} : { reference: p.member.reference }),
      ...(p.member?.display === undefined ? {} : { display: p.member.display }),
      ...(role === undefined ? {} : { role }),
    };
  });
  return {
    reference: ref(team),
    ...(typeof team.name === 'string' ? { name: team.name } : {}),
    members,
  };
}

/**
 * A provider of {@link ClinicalContext}s read from a FHIR R4 server: Condition (Scale 2),
 * MedicationRequest and Procedure (oxygen), Encounter (ward) and CareTeam — four searches per
 * patient, in parallel, cached with a TTL in a bounded LRU.
 *
 * @throws {HealthItError} `config/invalid` for a bad bound.
 * @example
 * ```ts
 * const contexts = createClinicalContextProvider({ client, ttlMs: 5 * 60_000 });
 * const { spo2Scale, onOxygen } = await contexts.contextFor('Patient/123');
 * news2({ ...vitals, spo2Scale, onOxygen });
 * ```
 */
export function createClinicalContextProvider(
  options: ClinicalContextProviderOptions,
): ClinicalContextProvider {
  const ttlMs = options.ttlMs ?? 300_000;
  const maxPatients = options.maxPatients ?? 1000;
  const maxStaleMs = options.maxStaleMs ?? 0;
  const maxPages = options.maxPages ?? 10;
  if (!(ttlMs > 0)) throw new HealthItError('config/invalid', `ttlMs must be positive, got ${ttlMs}`);
  if (!(Number.isInteger(maxPatients) && maxPatients > 0)) {
    throw new HealthItError('config/invalid', `maxPatients must be a positive integer, got ${maxPatients}`);
  }
  if (!(maxStaleMs >= 0))
    throw new HealthItError('config/invalid', `maxStaleMs must be ≥ 0, got ${maxStaleMs}`);
  const { client } = options;
  const clock = options.clock ?? Date.now;
  const scale2 = codeKeys([...SCALE2_CONDITIONS, ...(options.scale2Conditions ?? [])]);
  const oxygenMeds = codeKeys([...OXYGEN_MEDICATIONS, ...(options.oxygenMedications ?? [])]);
  const oxygenProcs = codeKeys([...OXYGEN_PROCEDURES, ...(options.oxygenProcedures ?? [])]);
  const patients = createIdentifierResolver({
    client,
    resourceType: 'Patient',
    mode: 'lookup-only',
    maxEntries: maxPatients,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    clock,
  });
  const cache = new Map<string, ClinicalContext>();
  const inFlight = new Map<string, Promise<ClinicalContext>>();

  const search = async (
    resourceType: string,
    searchParams: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<FhirResource[]> => {
    const out: FhirResource[] = [];
    const call = (fn: (s: AbortSignal) => Promise<unknown>) =>
      withRetry(fn, options.retry, signal).catch((e: unknown) => {
        if (!(e instanceof RetriesFailed)) throw e;
        const { failure, attempts } = e;
        throw new FhirExportError(
          failure.retryable ? 'store/unavailable' : codeForStatus(failure.status ?? 0),
          `Reading ${resourceType} for the clinical context failed after ${attempts} attempt(s): ${failure.reason}` +
            (failure.outcome === undefined ? '' : ` — ${describeOutcome(failure.outcome)}`),
          {
            operation: 'read',
            ...(failure.status === undefined ? {} : { status: failure.status }),
            ...(failure.outcome === undefined ? {} : { outcome: failure.outcome }),
            attempts,
          },
          failure.cause,
        );
      });
    let page = (await call((s) =>
      client.search({ resourceType, searchParams, options: { signal: s } }),
    )) as unknown as FhirBundle | undefined;
    for (let n = 0; page !== undefined && n < maxPages; n++) {
      for (const e of page.entry ?? []) if (e.resource !== undefined) out.push(e.resource);
      if (!page.link?.some((l) => l.relation === 'next')) break;
      const current: FhirBundle = page;
      page = (await call(
        (s) =>
          client.nextPage({ bundle: current as never, options: { signal: s } }) ?? Promise.resolve(undefined),
      )) as unknown as FhirBundle | undefined;
    }
    return out;
  };

  const readMedication = async (id: string, signal?: AbortSignal): Promise<FhirResource | undefined> => {
    try {
      return (await withRetry(
        (s) => client.read({ resourceType: 'Medication', id, options: { signal: s } }),
        options.retry,
        signal,
      )) as unknown as FhirResource;
    } catch (e) {
      if (e instanceof RetriesFailed && e.failure.status === 404) return undefined;
      throw e instanceof RetriesFailed
        ? new FhirExportError(
            e.failure.retryable ? 'store/unavailable' : codeForStatus(e.failure.status ?? 0),
            `Reading Medication/${id} for the clinical context failed after ${e.attempts} attempt(s): ${e.failure.reason}`,
            {
              operation: 'read',
              ...(e.failure.status === undefined ? {} : { status: e.failure.status }),
              attempts: e.attempts,
            },
            e.failure.cause,
          )
        : e;
    }
  };

  const read = async (patient: string, signal?: AbortSignal): Promise<ClinicalContext> => {
    const [conditions, medicationRequests, procedures, encounters, careTeams] = await Promise.all([
      search('Condition', { patient, _count: '100' }, signal),
      search(
        'MedicationRequest',
        { patient, status: 'active', _include: 'MedicationRequest:medication' },
        signal,
      ),
      search('Procedure', { patient, status: 'in-progress' }, signal),
      search('Encounter', { patient, status: 'in-progress' }, signal),
      search('CareTeam', { patient, status: 'active' }, signal),
    ]);
    const scale2Evidence = conditions
      .filter(
        (c) =>
          c.resourceType === 'Condition' &&
          isActiveConfirmed(c) &&
          matches(c.code as CodeableConcept, scale2),
      )
      .map(ref);

    const medications = new Map<string, FhirResource>();
    for (const r of medicationRequests) if (r.resourceType === 'Medication') medications.set(ref(r), r);
    const oxygenEvidence: string[] = [];
    for (const mr of medicationRequests) {
      if (mr.resourceType !== 'MedicationRequest' || mr.doNotPerform === true || mr.intent === 'proposal')
        continue;
      let concept = mr.medicationCodeableConcept as CodeableConcept | undefined;
      const medRef = (mr.medicationReference as Reference | undefined)?.reference;
      if (concept === undefined && medRef !== undefined) {
        let med = medRef.startsWith('#')
          ? ((mr.contained as FhirResource[] | undefined) ?? []).find((c) => `#${c.id}` === medRef)
          : medications.get(medRef);
        const [type, id] = medRef.split('/');
        if (med === undefined && type === 'Medication' && id !== undefined) {
          // Not included by the server (not every server supports _include): read it.
          med = await readMedication(id, signal);
          if (med !== undefined) medications.set(medRef, med);
        }
        concept = med?.code as CodeableConcept | undefined;
      }
      if (matches(concept, oxygenMeds)) oxygenEvidence.push(ref(mr));
    }
    for (const p of procedures) {
      if (p.resourceType === 'Procedure' && matches(p.code as CodeableConcept, oxygenProcs))
        oxygenEvidence.push(ref(p));
    }

    const encounter = encounters
      .filter((e) => e.resourceType === 'Encounter')
      .sort((a, b) => startOf(b).localeCompare(startOf(a)))[0];
    const ward = encounter === undefined ? undefined : pickWard(encounter);
    const teams = careTeams.filter((t) => t.resourceType === 'CareTeam');
    const team =
      (encounter === undefined
        ? undefined
        : teams.find((t) => (t.encounter as Reference | undefined)?.reference === ref(encounter))) ??
      teams[0];
    return {
      patient,
      spo2Scale: scale2Evidence.length > 0 ? 2 : 1,
      onOxygen: oxygenEvidence.length > 0,
      ...(encounter === undefined ? {} : { encounter: ref(encounter) }),
      ...(ward === undefined ? {} : { ward }),
      ...(team === undefined ? {} : { careTeam: careTeamOf(team) }),
      evidence: { scale2: scale2Evidence, oxygen: oxygenEvidence },
      fetchedAt: clock(),
      stale: false,
    };
  };

  const remember = (key: string, context: ClinicalContext): void => {
    cache.delete(key);
    cache.set(key, context);
    while (cache.size > maxPatients) cache.delete(cache.keys().next().value as string);
  };

  const forReference = (patient: string, signal?: AbortSignal): Promise<ClinicalContext> => {
    const cached = cache.get(patient);
    const now = clock();
    if (cached !== undefined && now - cached.fetchedAt < ttlMs) {
      remember(patient, cached);
      return Promise.resolve(cached);
    }
    const pending = inFlight.get(patient);
    if (pending !== undefined) return pending;
    const p = read(patient, signal)
      .then((context) => {
        remember(patient, context);
        return context;
      })
      .catch((e: unknown) => {
        if (
          cached !== undefined &&
          e instanceof FhirExportError &&
          e.retryable &&
          clock() - cached.fetchedAt < ttlMs + maxStaleMs
        ) {
          return { ...cached, stale: true };
        }
        throw e;
      })
      .finally(() => inFlight.delete(patient));
    inFlight.set(patient, p);
    return p;
  };

  return {
    get size() {
      return cache.size;
    },
    invalidate: (patient) => {
      cache.delete(patient);
    },
    clear: () => {
      cache.clear();
      patients.clear();
    },
    async contextFor(patient, signal) {
      if (typeof patient === 'string') {
        if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) {
          throw new HealthItError(
            'validation/invalid',
            `Expected a reference "Patient/{id}", got "${patient}"`,
          );
        }
        return forReference(patient, signal);
      }
      const reference = await patients.resolve(patient, signal);
      if (reference === undefined) {
        throw new FhirExportError(
          'validation/invalid',
          `No Patient with identifier ${patient.system}|${patient.value} on the FHIR server`,
          { operation: 'resolve', identifier: `${patient.system}|${patient.value}`, attempts: 1 },
        );
      }
      return forReference(reference, signal);
    },
  };
}
