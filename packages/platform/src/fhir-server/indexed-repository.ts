import { randomUUID } from 'node:crypto';
import { globalSchema, matchesSearchRequest, Operator, type SearchRequest, type WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { cloneJson, fhirJsonCopy } from './fhir-json.js';

/** `system` and `value` of one identifier, joined by a character no URI or identifier contains. */
function key(system: string, value: string): string {
  return `${system}\u0000${value}`;
}

/** The elements whose Patient references the index keeps. */
type PatientElement = 'subject' | 'patient';
const PATIENT_ELEMENTS: readonly PatientElement[] = ['subject', 'patient'];

/**
 * The index key of a reference to a patient (`Patient/<id>`) in `element`; the `\u0001` keeps it
 * apart from identifiers.
 */
function patientKey(element: PatientElement, reference: string): string {
  return `\u0001${element}\u0000${reference}`;
}

/** The search parameters that may reference the patient. */
const PATIENT_SEARCH_CODES = new Set(['patient', 'subject']);

const patientElements = new Map<string, PatientElement | null>();

/**
 * The element a `patient`/`subject` search parameter of `resourceType` reads, when the index can
 * answer it exactly: its FHIRPath for this type is `<type>.subject` or `<type>.patient`, with or
 * without `.where(resolve() is Patient)` (Encounter, Condition, Observation, MedicationRequest,
 * CareTeam, Procedure ...). Otherwise — e.g. `Provenance.target`, `Appointment.participant.actor`
 * — `undefined`: Medplum's search.
 */
export function indexedPatientElement(resourceType: string, code: string): PatientElement | undefined {
  const k = `${resourceType}\u0000${code}`;
  const known = patientElements.get(k);
  if (known !== undefined) return known ?? undefined;
  const params = globalSchema.types[resourceType]?.searchParams;
  if (params === undefined) return undefined; // definitions not loaded (yet): nothing to remember
  const branches = (params[code]?.expression ?? '')
    .split('|')
    .map((b) => b.trim())
    .filter((b) => b.startsWith(`${resourceType}.`));
  const m =
    branches.length === 1
      ? /^[A-Za-z]+\.(subject|patient)(?:\.where\(resolve\(\) is Patient\))?$/.exec(branches[0] as string)
      : null;
  const element = (m?.[1] as PatientElement | undefined) ?? null;
  patientElements.set(k, element);
  return element ?? undefined;
}

const identifierIndexed = new Map<string, boolean>();

/**
 * Whether the index answers `identifier=` searches of `resourceType` exactly: the parameter's
 * FHIRPath for this type is `<type>.identifier` (not, e.g., DocumentReference's
 * `masterIdentifier | identifier`). Also true before the definitions are loaded (see
 * `loadFhirDefinitions`), when Medplum's search finds nothing at all.
 */
function isIdentifierIndexed(resourceType: string): boolean {
  const known = identifierIndexed.get(resourceType);
  if (known !== undefined) return known;
  const params = globalSchema.types[resourceType]?.searchParams;
  if (params === undefined) return true; // definitions not loaded: Medplum could not search at all
  const branches = (params.identifier?.expression ?? '')
    .split('|')
    .map((b) => b.trim())
    .filter((b) => b.startsWith(`${resourceType}.`));
  const indexed = branches.length === 1 && branches[0] === `${resourceType}.identifier`;
  identifierIndexed.set(resourceType, indexed);
  return indexed;
}

/**
 * The patient keys a reference search value asks for in `element` (`Patient/123`, or alternatives
 * separated by commas), or `undefined` for any other form (a bare id, another type: left to
 * Medplum, so the answers stay Medplum's).
 */
export function patientKeys(searchValue: string, element: PatientElement): string[] | undefined {
  const keys: string[] = [];
  for (const alternative of splitUnescaped(searchValue, ',')) {
    const value = unescapeToken(alternative);
    if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(value)) return undefined;
    keys.push(patientKey(element, value));
  }
  return keys;
}

/** Adds the index keys of the `Patient/...` references in `element` (one Reference or several). */
function addPatientKeys(value: unknown, element: PatientElement, out: string[]): void {
  for (const ref of Array.isArray(value) ? value : [value]) {
    const reference = (ref as { reference?: unknown } | null | undefined)?.reference;
    if (typeof reference === 'string' && reference.startsWith('Patient/'))
      out.push(patientKey(element, reference));
  }
}

/** Splits a FHIR search value on an unescaped `sep` (`\` escapes `\ | , $`). */
function splitUnescaped(s: string, sep: string): string[] {
  if (!s.includes('\\')) return s.split(sep);
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      current += c + (s[i + 1] as string);
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeToken(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([\\|,$])/g, '$1');
}

/**
 * The identifier keys a token search value `system|value[,system|value...]` asks for, or
 * `undefined` when it is not of that form (a value without system, a system only: left to Medplum).
 */
export function identifierKeys(searchValue: string): string[] | undefined {
  if (!searchValue.includes('\\') && !searchValue.includes(',')) {
    // One `system|value`, no escapes (a conditional create's): no splitting needed.
    const bar = searchValue.indexOf('|');
    if (bar <= 0 || bar === searchValue.length - 1 || searchValue.includes('|', bar + 1)) return undefined;
    return [key(searchValue.slice(0, bar), searchValue.slice(bar + 1))];
  }
  const keys: string[] = [];
  for (const alternative of splitUnescaped(searchValue, ',')) {
    const parts = splitUnescaped(alternative, '|');
    if (parts.length !== 2) return undefined;
    const system = unescapeToken(parts[0] as string);
    const value = unescapeToken(parts[1] as string);
    if (system === '' || value === '') return undefined;
    keys.push(key(system, value));
  }
  return keys;
}

interface MemoryRepositoryInternals {
  readonly resources: Map<string, Map<string, Resource>>;
  readonly history: Map<string, Map<string, Resource[]>>;
}

/** One write inside {@link IndexedMemoryRepository.atomically}, and how to undo it. */
interface JournalEntry {
  readonly resourceType: string;
  readonly id: string;
  /** The current version before the write; `undefined` when the write created the resource. */
  readonly previous: Resource | undefined;
  /** Whether the write appended a version to the history. */
  readonly appendedHistory: boolean;
}

const NO_KEYS: readonly string[] = [];

/** The index keys of a resource: its identifiers (`system|value`) and the patients it references. */
function indexKeysOf(resource: Resource | undefined): readonly string[] {
  if (resource === undefined) return NO_KEYS;
  const r = resource as { identifier?: unknown; subject?: unknown; patient?: unknown };
  if (r.identifier === undefined && r.subject === undefined && r.patient === undefined) return NO_KEYS;
  const keys: string[] = [];
  for (const identifier of Array.isArray(r.identifier) ? r.identifier : [r.identifier]) {
    const { system, value } = (identifier ?? {}) as { system?: unknown; value?: unknown };
    if (typeof system === 'string' && typeof value === 'string') keys.push(key(system, value));
  }
  for (const element of PATIENT_ELEMENTS)
    if (r[element] !== undefined) addPatientKeys(r[element], element, keys);
  return keys;
}

/** Whether the index answers a search with these options itself (else: Medplum over the candidates). */
function isPlain(searchRequest: SearchRequest): boolean {
  return (
    (searchRequest.sortRules?.length ?? 0) === 0 &&
    (searchRequest.include?.length ?? 0) === 0 &&
    (searchRequest.revInclude?.length ?? 0) === 0 &&
    searchRequest.summary === undefined &&
    searchRequest.fields === undefined &&
    searchRequest.cursor === undefined
  );
}

/**
 * Medplum's `MemoryRepository` with hash indexes on `Resource.identifier` (`system|value`) and on
 * the patient a resource is about (`subject` or `patient` referencing `Patient/<id>`), so that
 * `identifier=` searches — and with them conditional create (`If-None-Exist`), conditional update
 * and the identifier lookups of Patient and Device — and `patient=`/`subject=` searches (a
 * patient's Encounters, Conditions, MedicationRequests, CareTeams) take time in proportion to what
 * they find, not a FHIRPath scan of every resource of the type. An indexed search with sorting,
 * `_include` and the like is Medplum's own search, run over the resources the index found; any
 * other search is Medplum's.
 *
 * `createResource` stores and returns what Medplum's does (empty values removed, `id`, `meta.versionId`
 * and `meta.lastUpdated` set when absent) without writing the resource to JSON text and reading it
 * back twice; ids are random UUIDs from `crypto.randomUUID`.
 *
 * {@link atomically} runs a callback alone (one at a time) and undoes its writes if it throws: the
 * embedded server runs every request through it, so a transaction Bundle is all or nothing and two
 * concurrent conditional creates of one identifier cannot both create.
 */
export class IndexedMemoryRepository extends MemoryRepository {
  /** resourceType → index key → ids. */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  private journal: JournalEntry[] | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  private get maps(): MemoryRepositoryInternals {
    return this as unknown as MemoryRepositoryInternals;
  }

  /** Removes every resource, its history and the search index. */
  override clear(): void {
    super.clear();
    this.index.clear();
  }

  /** A new logical id for a created resource: a random UUID (`crypto.randomUUID`). */
  override generateId(): string {
    return randomUUID();
  }

  /**
   * Stores `resource` as a new version: empty values removed, `id` (a random UUID),
   * `meta.versionId` and `meta.lastUpdated` set when absent; indexed for search, and undone if an
   * enclosing {@link IndexedMemoryRepository.atomically} callback throws. Resolves with a copy of
   * what was stored.
   */
  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    // What Medplum's MemoryRepository.createResource does, with one copy in and one out.
    const result = fhirJsonCopy(resource) as WithId<T>;
    if (!result.id) result.id = this.generateId();
    if (!result.meta) result.meta = {};
    if (!result.meta.versionId) result.meta.versionId = randomUUID();
    if (!result.meta.lastUpdated) result.meta.lastUpdated = new Date().toISOString();
    const { resourceType, id } = result;
    let current = this.maps.resources.get(resourceType);
    if (current === undefined) {
      current = new Map();
      this.maps.resources.set(resourceType, current);
    }
    const previous = current.get(id);
    current.set(id, result);
    let historyOfType = this.maps.history.get(resourceType);
    if (historyOfType === undefined) {
      historyOfType = new Map();
      this.maps.history.set(resourceType, historyOfType);
    }
    const versions = historyOfType.get(id);
    if (versions === undefined) historyOfType.set(id, [result]);
    else versions.push(result);
    this.journal?.push({ resourceType, id, previous, appendedHistory: true });
    this.reindex(resourceType, id, previous, result);
    return cloneJson(result);
  }

  /** Deletes the resource `resourceType/id` (as Medplum's repository does) and drops it from the index. */
  override async deleteResource(resourceType: string, id: string): Promise<void> {
    const previous = this.maps.resources.get(resourceType)?.get(id);
    await super.deleteResource(resourceType, id);
    this.journal?.push({ resourceType, id, previous, appendedHistory: false });
    this.reindex(resourceType, id, previous, undefined);
  }

  /**
   * Runs a FHIR search: an `identifier=` or patient search on an indexed type looks up the index and
   * filters only the resources it finds; any other search is Medplum's scan. Resolves with a
   * `searchset` Bundle.
   */
  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const filters = searchRequest.filters ?? [];
    let at = filters.findIndex((f) => f.code === 'identifier' && f.operator === Operator.EQUALS);
    let keys =
      at < 0 || !isIdentifierIndexed(searchRequest.resourceType)
        ? undefined
        : identifierKeys((filters[at] as { value: string }).value);
    if (keys === undefined) {
      at = filters.findIndex((f) => PATIENT_SEARCH_CODES.has(f.code) && f.operator === Operator.EQUALS);
      const filter = filters[at];
      const element =
        filter === undefined ? undefined : indexedPatientElement(searchRequest.resourceType, filter.code);
      keys = filter === undefined || element === undefined ? undefined : patientKeys(filter.value, element);
    }
    if (keys === undefined) return super.search(searchRequest);

    const byKey = this.index.get(searchRequest.resourceType);
    const resources = this.maps.resources.get(searchRequest.resourceType);
    const ids = keys.length === 1 ? byKey?.get(keys[0] as string) : new Set<string>();
    if (keys.length > 1) for (const k of keys) for (const id of byKey?.get(k) ?? []) ids?.add(id);

    // The index found exactly the resources that match the filter it answered: the others are
    // checked one by one (FHIRPath), among those only.
    const rest = filters.length === 1 ? [] : filters.filter((_, i) => i !== at);
    const narrowed: SearchRequest<T> = { ...searchRequest, filters: rest };
    if (!isPlain(searchRequest)) {
      // Sorting, includes, summaries, selected fields, cursors: Medplum's search, over the
      // resources the index found, not every one of the type.
      const candidates = new Map<string, Resource>();
      for (const id of ids ?? []) {
        const r = resources?.get(id);
        if (r !== undefined) candidates.set(id, r);
      }
      const view = Object.create(this) as MemoryRepository;
      Object.defineProperty(view, 'resources', {
        value: new Map([[searchRequest.resourceType, candidates]]),
      });
      const medplumSearch = MemoryRepository.prototype.search as (
        this: MemoryRepository,
        request: SearchRequest<T>,
      ) => Promise<Bundle<WithId<T>>>;
      return medplumSearch.call(view, narrowed);
    }
    const matches: WithId<T>[] = [];
    for (const id of ids ?? []) {
      const r = resources?.get(id) as WithId<T> | undefined;
      if (r !== undefined && (rest.length === 0 || matchesSearchRequest(r, narrowed))) matches.push(r);
    }
    const offset = searchRequest.offset ?? 0;
    const page =
      offset === 0 && (searchRequest.count === undefined || searchRequest.count >= matches.length)
        ? matches
        : matches.slice(offset, searchRequest.count === undefined ? undefined : offset + searchRequest.count);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.length > 0 ? { entry: page.map((resource) => ({ resource: cloneJson(resource) })) } : {}),
      total: matches.length,
    };
  }

  /**
   * Runs `fn` alone — after every earlier call has settled — and, if it throws, undoes every create,
   * update and delete it made (current versions and history) before rethrowing.
   */
  atomically<T>(fn: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const journal: JournalEntry[] = [];
      this.journal = journal;
      try {
        return await fn();
      } catch (e) {
        this.rollback(journal);
        throw e;
      } finally {
        this.journal = undefined;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** How many resources of `resourceType` are stored. */
  count(resourceType: string): number {
    return this.maps.resources.get(resourceType)?.size ?? 0;
  }

  private rollback(journal: readonly JournalEntry[]): void {
    for (let i = journal.length - 1; i >= 0; i--) {
      const { resourceType, id, previous, appendedHistory } = journal[i] as JournalEntry;
      const current = this.maps.resources.get(resourceType);
      const undone = current?.get(id);
      if (previous === undefined) current?.delete(id);
      else current?.set(id, previous);
      if (appendedHistory) {
        const versions = this.maps.history.get(resourceType)?.get(id);
        versions?.pop();
        if (versions?.length === 0) this.maps.history.get(resourceType)?.delete(id);
      }
      this.reindex(resourceType, id, undone, previous);
    }
  }

  /** Moves `id` from the index keys of its version `before` to those of `after`. */
  private reindex(
    resourceType: string,
    id: string,
    before: Resource | undefined,
    after: Resource | undefined,
  ): void {
    const removed = indexKeysOf(before);
    const added = indexKeysOf(after);
    if (removed.length === 0 && added.length === 0) return;
    let byKey = this.index.get(resourceType);
    for (const k of removed) {
      if (added.includes(k)) continue;
      const ids = byKey?.get(k);
      ids?.delete(id);
      if (ids?.size === 0) byKey?.delete(k);
    }
    for (const k of added) {
      if (byKey === undefined) {
        byKey = new Map();
        this.index.set(resourceType, byKey);
      }
      const ids = byKey.get(k);
      if (ids === undefined) byKey.set(k, new Set([id]));
      else ids.add(id);
    }
  }
}
