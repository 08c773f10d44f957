import { randomUUID } from 'node:crypto';
import type { PatientId, Reading } from '@healthit/core';
import type { News2Entry } from '@healthit/gateway';
import {
  type ClinicalContext,
  CODE_SYSTEMS,
  createClinicalContextProvider,
  OXYGEN_MEDICATIONS,
  SCALE2_CONDITIONS,
} from '@healthit/platform/clinical-context';
import {
  type FhirObservation,
  identifierSearchParam,
  type SkipReason,
  toFhirObservations,
} from '@healthit/platform/fhir';
import {
  createFhirClient,
  createIdentifierResolver,
  exportObservationBatches,
  exportObservations,
  type FhirBundle,
  type FhirBundleEntry,
  type FhirResource,
} from '@healthit/platform/fhir-export';
import type { EmbeddedFhirServer } from '@healthit/platform/fhir-server';
import {
  bufferTime,
  exhaustMap,
  filter,
  from,
  interval,
  lastValueFrom,
  map,
  type Observable,
  ReplaySubject,
  Subject,
  type Subscription,
  tap,
} from 'rxjs';
import type { WardPatient } from './patients.js';

/** The identifier systems of the quick start's hospital (`.example`: not a real one). */
export const WARD_FHIR_SYSTEMS = {
  /** `Patient.identifier`: the simulator's patient id (the hospital's MRN in real life). */
  patient: 'https://hospital.example/fhir/sid/mrn',
  /** Identifiers of the seeded Location, Encounters, Conditions, MedicationRequests, CareTeams. */
  record: 'https://hospital.example/fhir/sid/ward-record',
  /** `Observation.identifier`: derived from the reading ids (conditional create never duplicates). */
  reading: 'https://hospital.example/fhir/sid/iomt-reading',
} as const;

/** The ward the simulated patients are admitted to. */
export const WARD_LOCATION = { id: 'ward-7', name: 'Ward 7 (acute medicine)' } as const;

/** Options of the ward's FHIR stage (`WardOptions.fhir`). */
export interface WardFhirOptions {
  /**
   * The FHIR R4 base URL of a server you own (never closed by the ward; it is seeded with the
   * ward's patients by conditional create). Use a server without another run's Observations:
   * reading ids restart every run. Default: the embedded server, started on 127.0.0.1, any port.
   */
  readonly baseUrl?: string;
  /** How long a patient's clinical context is served from the cache before it is read again (default 10 000 ms). */
  readonly contextTtlMs?: number;
  /** Stored readings are exported as Observations in batches this often (default 2 000 ms). */
  readonly exportEveryMs?: number;
}

/** What the FHIR stage did, in a `WardSummary`. */
export interface WardFhirSummary {
  readonly server: 'embedded' | 'external';
  readonly baseUrl: string;
  /** Server start, seeding and the first read of every patient's context, in ms. */
  readonly setUpMs: number;
  /** Resources seeded, by type. */
  readonly seeded: Readonly<Record<string, number>>;
  readonly ward: string;
  readonly context: {
    readonly ttlMs: number;
    /** Contexts read from the server (not served from the cache), first reads included. */
    readonly reads: number;
    readonly failures: number;
    /** News2Entry values handed to the NEWS2 operator (first contexts and changes). */
    readonly entries: number;
    /** Patients on SpO2 Scale 2 / on oxygen, by the clinical record at the end. */
    readonly scale2: readonly string[];
    readonly onOxygen: readonly string[];
  };
  readonly export: WardFhirExportSummary;
}

/** The Observations export in a {@link WardFhirSummary}. */
export interface WardFhirExportSummary {
  /** Stored readings the final pass mapped, and those with no FHIR mapping, by reason. */
  readonly readings: number;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  /** Observations made from every stored reading (a blood-pressure pair is one panel). */
  readonly observations: number;
  /** Created by the exports during the run. */
  readonly createdDuringRun: number;
  /** Created by the final pass (readings stored since the last export). */
  readonly createdAtEnd: number;
  /** Re-sent by the final pass and already on the server: answered 200, not duplicated. */
  readonly existing: number;
  /** Observations the server refused or could not take in the final pass (0 on a good run). */
  readonly failed: number;
  /** During the run: Observations refused, or in batches that failed after every retry (all re-sent at the end). */
  readonly failedDuringRun: number;
  /** Observations of the ward on the server at the end (`_summary=count` on the identifier system). */
  readonly onServer: number;
  readonly error?: string;
}

/** The ward's FHIR stage: server, clinical context for NEWS2, and Observation export. */
export interface WardFhir {
  readonly baseUrl: string;
  /** Each patient's latest clinical context, by ward patient id. */
  readonly contexts: ReadonlyMap<string, ClinicalContext>;
  /** Clinical context as NEWS2 entries (`spo2Scale`, `onOxygen`); replays the latest per patient. */
  readonly entries$: Observable<News2Entry>;
  /** Starts refreshing contexts (per their TTL) and exporting stored readings. */
  start(): void;
  /** Stored readings to export (in the next batch). */
  exportStored(readings: readonly Reading[]): void;
  /** Stops refreshing and completes `entries$`. */
  stopContext(): void;
  /** Drains the live export, re-sends every stored reading (`all`), counts what is on the server. */
  finish(all: readonly Reading[]): Promise<WardFhirSummary>;
  /** Closes the embedded server (idempotent; a server you own is left running). */
  close(): Promise<void>;
}

const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const PHYSICAL_TYPE = 'http://terminology.hl7.org/CodeSystem/location-physical-type';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const UCUM = 'http://unitsofmeasure.org';

/** SNOMED CT 426896000 and ICD-10-CM J96.12: both in the provider's Scale 2 table. */
const HYPERCAPNIC_FAILURE = SCALE2_CONDITIONS.filter(
  (c) =>
    (c.system === CODE_SYSTEMS.snomed && c.code === '426896000') ||
    (c.system === CODE_SYSTEMS.icd10cm && c.code === 'J96.12'),
);

function identifier(system: string, value: string) {
  return { system, value };
}

/** A transaction entry that creates `resource` unless one with its first identifier exists. */
function conditionalCreate(resource: FhirResource & { identifier: { system: string; value: string }[] }) {
  const [id] = resource.identifier;
  if (id === undefined) throw new Error(`${resource.resourceType} needs an identifier`);
  return {
    fullUrl: `urn:uuid:${randomUUID()}`,
    resource,
    request: { method: 'POST', url: resource.resourceType, ifNoneExist: identifierSearchParam(id) },
  };
}

/**
 * `Type/id` of a transaction-response entry: from `response.location` (`Type/id`, with or without
 * `/_history/<version>`, relative or absolute) or the resource.
 */
function referenceOf(entry: {
  readonly response?: { readonly location?: string };
  readonly resource?: FhirResource;
}): string {
  const location = entry.response?.location;
  const m =
    location === undefined
      ? null
      : /([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?\/?$/.exec(location);
  if (m !== null) return `${m[1]}/${m[2]}`;
  if (entry.resource?.id !== undefined) return `${entry.resource.resourceType}/${entry.resource.id}`;
  throw new Error('The FHIR server answered a transaction entry without a location or resource');
}

/** The resources a hospital's server holds about one admitted patient. */
function patientEntries(p: WardPatient, location: string, admittedAt: string) {
  const record = (suffix: string) => [identifier(WARD_FHIR_SYSTEMS.record, `${p.patientId}/${suffix}`)];
  const patient = conditionalCreate({
    resourceType: 'Patient',
    identifier: [identifier(WARD_FHIR_SYSTEMS.patient, p.patientId)],
    active: true,
    name: [{ text: `Simulated ${p.patientId}` }],
  });
  const subject = { reference: patient.fullUrl };
  const encounter = conditionalCreate({
    resourceType: 'Encounter',
    identifier: record('admission'),
    status: 'in-progress',
    class: { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' },
    subject,
    period: { start: admittedAt },
    location: [
      {
        location: { reference: location, display: WARD_LOCATION.name },
        status: 'active',
        physicalType: { coding: [{ system: PHYSICAL_TYPE, code: 'wa', display: 'Ward' }] },
      },
    ],
  });
  const context = { subject, encounter: { reference: encounter.fullUrl } };
  const entries = [
    patient,
    encounter,
    conditionalCreate({
      resourceType: 'CareTeam',
      identifier: record('care-team'),
      status: 'active',
      name: `${WARD_LOCATION.name} nursing team`,
      ...context,
      participant: [
        { role: [{ text: 'Nurse in charge' }], member: { display: `Charge nurse, ${WARD_LOCATION.name}` } },
      ],
    }),
  ];
  const condition = (suffix: string, coding: readonly object[], text: string) =>
    conditionalCreate({
      resourceType: 'Condition',
      identifier: record(suffix),
      clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: 'active' }] },
      verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: 'confirmed' }] },
      category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'problem-list-item' }] }],
      code: { coding: [...coding], text },
      ...context,
      recordedDate: admittedAt,
    });
  if (p.hypercapnic) {
    // COPD alone does not select Scale 2 (the provider's match is exact and conservative) ...
    entries.push(
      condition(
        'copd',
        [
          { system: CODE_SYSTEMS.snomed, code: '13645005', display: 'Chronic obstructive lung disease' },
          { system: CODE_SYSTEMS.icd10cm, code: 'J44.9', display: 'Chronic obstructive pulmonary disease' },
        ],
        'COPD',
      ),
    );
    // ... the hypercapnic respiratory failure does.
    entries.push(
      condition(
        'hypercapnic-respiratory-failure',
        HYPERCAPNIC_FAILURE.map(({ system, code, display }) => ({ system, code, display })),
        'Chronic hypercapnic (type II) respiratory failure',
      ),
    );
  }
  if (p.oxygenLpm !== undefined) {
    entries.push(
      conditionalCreate({
        resourceType: 'MedicationRequest',
        identifier: record('oxygen'),
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: {
          coding: OXYGEN_MEDICATIONS.map(({ system, code, display }) => ({ system, code, display })),
          text: 'Oxygen',
        },
        ...context,
        authoredOn: admittedAt,
        dosageInstruction: [
          {
            text: `Controlled oxygen ${p.oxygenLpm} L/min by nasal cannula, target SpO2 88–92 %`,
            doseAndRate: [
              { rateQuantity: { value: p.oxygenLpm, unit: 'L/min', system: UCUM, code: 'L/min' } },
            ],
          },
        ],
      }),
    );
  }
  return entries;
}

/** What {@link seed} wrote: the resources by type, and each patient's `Patient/<id>` on the server. */
interface Seeded {
  readonly seeded: Record<string, number>;
  readonly patientRefs: ReadonlyMap<string, string>;
}

/** Patients per seeding transaction: one Bundle for a ward of up to this many. */
const SEED_PATIENTS_PER_BUNDLE = 500;

/**
 * Seeds the server as a hospital's would be: the ward's Location, then per patient a Patient
 * (identifier = the simulator's patient id), an in-progress Encounter at the ward, a CareTeam, and
 * for a hypercapnic patient the Conditions and the oxygen MedicationRequest. Conditional creates in
 * one transaction per {@link SEED_PATIENTS_PER_BUNDLE} patients (the Location in the first, by
 * `urn:uuid` reference): seeding twice changes nothing. The transaction's answer names every
 * patient's `Patient/<id>` (new or already there), so their contexts are read without looking
 * them up again.
 */
async function seed(
  client: ReturnType<typeof createFhirClient>,
  patients: readonly WardPatient[],
  admittedAt: string,
): Promise<Seeded> {
  const transaction = async (entries: ReturnType<typeof conditionalCreate>[]) =>
    (await client.transaction({
      body: { resourceType: 'Bundle', type: 'transaction', entry: entries },
    })) as unknown as FhirBundle;
  const ward = conditionalCreate({
    resourceType: 'Location',
    identifier: [identifier(WARD_FHIR_SYSTEMS.record, WARD_LOCATION.id)],
    status: 'active',
    name: WARD_LOCATION.name,
    mode: 'instance',
    physicalType: { coding: [{ system: PHYSICAL_TYPE, code: 'wa', display: 'Ward' }] },
  });
  let location = ward.fullUrl;
  const seeded: Record<string, number> = {};
  const patientRefs = new Map<string, string>();
  for (let i = 0; i === 0 || i < patients.length; i += SEED_PATIENTS_PER_BUNDLE) {
    const part = patients.slice(i, i + SEED_PATIENTS_PER_BUNDLE);
    const perPatient = part.map((p) => patientEntries(p, location, admittedAt));
    const entries = [...(i === 0 ? [ward] : []), ...perPatient.flat()];
    const answer = await transaction(entries);
    const answered = answer.entry ?? [];
    if (answered.length !== entries.length) {
      throw new Error(
        `The FHIR server answered the seeding transaction with ${answered.length} entries for ${entries.length}`,
      );
    }
    if (i === 0) location = referenceOf(answered[0] as FhirBundleEntry);
    // Each patient's entries start with its Patient (see patientEntries).
    let at = i === 0 ? 1 : 0;
    part.forEach((p, k) => {
      patientRefs.set(p.patientId, referenceOf(answered[at] as FhirBundleEntry));
      at += (perPatient[k] as unknown[]).length;
    });
    for (const e of entries) seeded[e.resource.resourceType] = (seeded[e.resource.resourceType] ?? 0) + 1;
  }
  return { seeded, patientRefs };
}

/** Holds a lone blood-pressure component until its partner (same device, patient and time) is stored. */
function bloodPressurePairer(maxHeld = 100_000) {
  const held = new Map<string, Reading>();
  const isBp = (r: Reading) => r.metric === 'bp-systolic' || r.metric === 'bp-diastolic';
  return {
    /** The readings ready to map: all but the blood-pressure components still waiting for their partner. */
    take(readings: readonly Reading[]): Reading[] {
      const out: Reading[] = [];
      for (const r of readings) {
        if (!isBp(r)) {
          out.push(r);
          continue;
        }
        const key = `${r.deviceId}|${r.patientId ?? ''}|${r.ts}`;
        const partner = held.get(key);
        if (partner !== undefined && partner.metric !== r.metric) {
          held.delete(key);
          out.push(partner, r);
        } else if (held.size < maxHeld) held.set(key, r);
        else out.push(r); // bounded: exported alone (the final pass may then pair it differently)
      }
      return out;
    },
    /** Every reading still held. */
    flush(): Reading[] {
      const out = [...held.values()];
      held.clear();
      return out;
    },
  };
}

/**
 * Starts the ward's FHIR stage: the embedded FHIR server (or `options.baseUrl`), seeded with the
 * ward's patients; every patient's clinical context read once (so NEWS2 scores the first readings
 * on the right scale) and then refreshed per its TTL; stored readings exported as vital-signs
 * Observations by conditional create, in batches during the run and once more at the end.
 * `onContext` is told of each patient's context when first read and whenever it changes.
 */
export async function openWardFhir(
  patients: readonly WardPatient[],
  options: WardFhirOptions = {},
  onContext?: (patientId: PatientId, context: ClinicalContext) => void,
): Promise<WardFhir> {
  const t0 = Date.now();
  const contextTtlMs = options.contextTtlMs ?? 10_000;
  const exportEveryMs = options.exportEveryMs ?? 2000;
  let server: EmbeddedFhirServer | undefined;
  if (options.baseUrl === undefined) {
    // Loaded only when asked for: Medplum's router and the R4 definitions.
    const { startEmbeddedFhirServer } = await import('@healthit/platform/fhir-server');
    server = await startEmbeddedFhirServer();
  }
  const baseUrl = options.baseUrl ?? (server as EmbeddedFhirServer).baseUrl;
  try {
    // Concurrent searches (every patient's clinical context at start-up) go as batch Bundles.
    const client = createFhirClient({ baseUrl, batchSearches: true });
    const { seeded, patientRefs: seededRefs } = await seed(client, patients, new Date(t0).toISOString());
    const provider = createClinicalContextProvider({
      client,
      ttlMs: contextTtlMs,
      maxPatients: Math.max(1000, patients.length),
    });
    const patientRefs = createIdentifierResolver({
      client,
      resourceType: 'Patient',
      mode: 'lookup-only',
      maxEntries: Math.max(1000, patients.length),
    });
    const contexts = new Map<string, ClinicalContext>();
    const entries$ = new ReplaySubject<News2Entry>(patients.length);
    let reads = 0;
    let failures = 0;
    let entries = 0;

    /** Reads (or serves from the cache) every patient's context, `atOnce` patients at a time. */
    const readContexts = async (atOnce = 8): Promise<void> => {
      const queue = [...patients];
      const worker = async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
          try {
            // By the reference the seeding answered with (no look-up), else by identifier.
            const c = await provider.contextFor(
              seededRefs.get(p.patientId) ?? { system: WARD_FHIR_SYSTEMS.patient, value: p.patientId },
            );
            const last = contexts.get(p.patientId);
            if (last?.fetchedAt !== c.fetchedAt) reads += 1;
            contexts.set(p.patientId, c);
            if (last !== undefined && last.spo2Scale === c.spo2Scale && last.onOxygen === c.onOxygen)
              continue;
            entries += 1;
            entries$.next({
              id: `fhir-context:${p.patientId}:${c.fetchedAt}`,
              patientId: p.patientId,
              ts: c.fetchedAt,
              spo2Scale: c.spo2Scale,
              onOxygen: c.onOxygen,
            });
            onContext?.(p.patientId, c);
          } catch {
            // Unreachable or unknown: the patient keeps their last context (Scale 1 on air if none).
            failures += 1;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(atOnce, patients.length) }, worker));
    };
    // At start-up, 20 patients at once: their five searches each go as one batch Bundle of 100.
    await readContexts(20);

    const observationsOf = (readings: readonly Reading[]) => {
      const byPatient = new Map<PatientId | undefined, Reading[]>();
      for (const r of readings) {
        const list = byPatient.get(r.patientId);
        if (list === undefined) byPatient.set(r.patientId, [r]);
        else list.push(r);
      }
      const observations: FhirObservation[] = [];
      const skipped: Partial<Record<SkipReason, number>> = {};
      for (const [patientId, list] of byPatient) {
        const encounter = patientId === undefined ? undefined : contexts.get(patientId)?.encounter;
        const made = toFhirObservations(list, {
          identifierSystem: WARD_FHIR_SYSTEMS.reading,
          patient: { type: 'identifier', system: WARD_FHIR_SYSTEMS.patient },
          ...(encounter === undefined ? {} : { encounter: { reference: encounter } }),
        });
        observations.push(...made.observations);
        for (const s of made.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
      }
      return { observations, skipped };
    };

    const pairer = bloodPressurePairer();
    const stored$ = new Subject<readonly Reading[]>();
    let createdDuringRun = 0;
    let failedDuringRun = 0;
    let live: Promise<unknown> = Promise.resolve();
    let refresh: Subscription | undefined;
    let closed = false;

    const stage: WardFhir = {
      baseUrl,
      contexts,
      entries$,
      start() {
        const pollMs = Math.max(250, Math.min(contextTtlMs / 4, 5000));
        refresh = interval(pollMs)
          .pipe(exhaustMap(() => from(readContexts())))
          .subscribe();
        live = lastValueFrom(
          stored$.pipe(
            map((readings) => observationsOf(pairer.take(readings)).observations),
            bufferTime(exportEveryMs),
            map((lists) => lists.flat()),
            filter((observations) => observations.length > 0),
            exportObservationBatches({ client, patients: patientRefs, batchSize: 1000, concurrency: 1 }),
            tap((outcome) => {
              if (outcome.type === 'exported') {
                createdDuringRun += outcome.created;
                failedDuringRun += outcome.failed;
              } else failedDuringRun += outcome.size;
            }),
          ),
          { defaultValue: undefined },
        );
      },
      exportStored(readings) {
        stored$.next(readings);
      },
      stopContext() {
        refresh?.unsubscribe();
        entries$.complete();
      },
      async finish(all) {
        stage.stopContext();
        stored$.next(pairer.flush());
        stored$.complete();
        await live;
        const { observations, skipped } = observationsOf(all);
        let result = { created: 0, existing: 0, failed: observations.length };
        let error: string | undefined;
        try {
          result = await exportObservations(observations, {
            client,
            patients: patientRefs,
            batchSize: 1000,
            onRejected: 'collect',
          });
        } catch (e) {
          error = (e as Error).message;
        }
        const count = (await client.search({
          resourceType: 'Observation',
          searchParams: { identifier: `${WARD_FHIR_SYSTEMS.reading}|`, _summary: 'count' },
        })) as { total?: number };
        const latest = [...contexts];
        return {
          server: server === undefined ? 'external' : 'embedded',
          baseUrl,
          setUpMs,
          seeded,
          ward: WARD_LOCATION.name,
          context: {
            ttlMs: contextTtlMs,
            reads,
            failures,
            entries,
            scale2: latest.filter(([, c]) => c.spo2Scale === 2).map(([id]) => id),
            onOxygen: latest.filter(([, c]) => c.onOxygen).map(([id]) => id),
          },
          export: {
            readings: all.length,
            skipped,
            observations: observations.length,
            createdDuringRun,
            createdAtEnd: result.created,
            existing: result.existing,
            failed: result.failed,
            failedDuringRun,
            onServer: count.total ?? 0,
            ...(error === undefined ? {} : { error }),
          },
        };
      },
      async close() {
        if (closed) return;
        closed = true;
        refresh?.unsubscribe();
        await server?.close();
      },
    };
    const setUpMs = Date.now() - t0;
    return stage;
  } catch (e) {
    await server?.close();
    throw e;
  }
}
