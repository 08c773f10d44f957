import { deepClone, matchesSearchRequest, Operator, type SearchRequest, type WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';

/** `system` and `value` of one identifier, joined by a character no URI or identifier contains. */
function key(system: string, value: string): string {
  return `${system}\u0000${value}`;
}

/** The index key of a reference to a patient (`Patient/<id>`): the `\u0001` keeps it apart from identifiers. */
function patientKey(reference: string): string {
  return `\u0001${reference}`;
}

/** The search parameters that reference the patient, for the resource types the index serves them for. */
const PATIENT_SEARCH_CODES = new Set(['patient', 'subject']);

/**
 * The patient keys a reference search value asks for (`Patient/123`, or alternatives separated by
 * commas), or `undefined` for any other form (a bare id, another type: left to Medplum, so the
 * answers stay Medplum's).
 */
export function patientKeys(searchValue: string): string[] | undefined {
  const keys: string[] = [];
  for (const alternative of splitUnescaped(searchValue, ',')) {
    const value = unescapeToken(alternative);
    if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(value)) return undefined;
    keys.push(patientKey(value));
  }
  return keys;
}

/** The patient a resource is about: `subject` or `patient` when it references a Patient. */
function patientReferenceOf(resource: Resource): string | undefined {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  const reference = r.subject?.reference ?? r.patient?.reference;
  return typeof reference === 'string' && reference.startsWith('Patient/') ? reference : undefined;
}

/** Splits a FHIR search value on an unescaped `sep` (`\` escapes `\ | , $`). */
function splitUnescaped(s: string, sep: string): string[] {
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
  return s.replace(/\\([\\|,$])/g, '$1');
}

/**
 * The identifier keys a token search value `system|value[,system|value...]` asks for, or
 * `undefined` when it is not of that form (a value without system, a system only: left to Medplum).
 */
export function identifierKeys(searchValue: string): string[] | undefined {
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

/**
 * Medplum's `MemoryRepository` with hash indexes on `Resource.identifier` (`system|value`) and on
 * the patient a resource is about (`subject` or `patient` referencing `Patient/<id>`), so that
 * `identifier=` searches — and with them conditional create (`If-None-Exist`), conditional update
 * and the identifier lookups of Patient and Device — and `patient=`/`subject=` searches (a
 * patient's Encounters, Conditions, MedicationRequests, CareTeams) take time in proportion to what
 * they find, not a FHIRPath scan of every resource of the type. Any other search is Medplum's.
 *
 * {@link atomically} runs a callback alone (one at a time) and undoes its writes if it throws: the
 * embedded server runs every request through it, so a transaction Bundle is all or nothing and two
 * concurrent conditional creates of one identifier cannot both create.
 */
export class IndexedMemoryRepository extends MemoryRepository {
  /** resourceType → identifier key → ids. */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  /** `resourceType/id` → the keys it is indexed under. */
  private readonly keysOf = new Map<string, string[]>();
  private journal: JournalEntry[] | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  private get maps(): MemoryRepositoryInternals {
    return this as unknown as MemoryRepositoryInternals;
  }

  override clear(): void {
    super.clear();
    this.index.clear();
    this.keysOf.clear();
  }

  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    const journal = this.journal;
    let previous: Resource | undefined;
    if (journal !== undefined && resource.id !== undefined) {
      previous = this.maps.resources.get(resource.resourceType)?.get(resource.id);
    }
    const result = await super.createResource(resource);
    journal?.push({ resourceType: result.resourceType, id: result.id, previous, appendedHistory: true });
    this.reindex(result.resourceType, result.id, result);
    return result;
  }

  override async deleteResource(resourceType: string, id: string): Promise<void> {
    const previous = this.maps.resources.get(resourceType)?.get(id);
    await super.deleteResource(resourceType, id);
    this.journal?.push({ resourceType, id, previous, appendedHistory: false });
    this.reindex(resourceType, id, undefined);
  }

  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const filters = searchRequest.filters ?? [];
    let at = filters.findIndex((f) => f.code === 'identifier' && f.operator === Operator.EQUALS);
    let keys = at < 0 ? undefined : identifierKeys((filters[at] as { value: string }).value);
    if (keys === undefined) {
      at = filters.findIndex((f) => PATIENT_SEARCH_CODES.has(f.code) && f.operator === Operator.EQUALS);
      const filter = filters[at] as { value: string } | undefined;
      keys = filter === undefined ? undefined : patientKeys(filter.value);
    }
    // Anything the index does not answer itself — sorting, includes, summaries, selected fields,
    // cursors — is Medplum's.
    const plain =
      (searchRequest.sortRules?.length ?? 0) === 0 &&
      (searchRequest.include?.length ?? 0) === 0 &&
      (searchRequest.revInclude?.length ?? 0) === 0 &&
      searchRequest.summary === undefined &&
      searchRequest.fields === undefined &&
      searchRequest.cursor === undefined;
    if (keys === undefined || !plain) return super.search(searchRequest);

    const byKey = this.index.get(searchRequest.resourceType);
    const resources = this.maps.resources.get(searchRequest.resourceType);
    const ids = new Set<string>();
    for (const k of keys) for (const id of byKey?.get(k) ?? []) ids.add(id);
    const rest = filters.filter((_, i) => i !== at);
    const narrowed: SearchRequest<T> = { ...searchRequest, filters: rest };
    const matches: WithId<T>[] = [];
    for (const id of ids) {
      const r = resources?.get(id) as WithId<T> | undefined;
      if (r !== undefined && (rest.length === 0 || matchesSearchRequest(r, narrowed))) matches.push(r);
    }
    const offset = searchRequest.offset ?? 0;
    const page = matches.slice(
      offset,
      searchRequest.count === undefined ? undefined : offset + searchRequest.count,
    );
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.length > 0 ? { entry: page.map((resource) => ({ resource: deepClone(resource) })) } : {}),
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
      if (previous === undefined) current?.delete(id);
      else current?.set(id, previous);
      if (appendedHistory) {
        const versions = this.maps.history.get(resourceType)?.get(id);
        versions?.pop();
        if (versions?.length === 0) this.maps.history.get(resourceType)?.delete(id);
      }
      this.reindex(resourceType, id, previous);
    }
  }

  private reindex(resourceType: string, id: string, resource: Resource | undefined): void {
    const ref = `${resourceType}/${id}`;
    let byKey = this.index.get(resourceType);
    for (const k of this.keysOf.get(ref) ?? []) {
      const ids = byKey?.get(k);
      ids?.delete(id);
      if (ids?.size === 0) byKey?.delete(k);
    }
    this.keysOf.delete(ref);
    if (resource === undefined) return;
    const identifiers = (resource as { identifier?: { system?: string; value?: string }[] }).identifier;
    const wanted: string[] = [];
    for (const identifier of Array.isArray(identifiers) ? identifiers : []) {
      if (typeof identifier?.system !== 'string' || typeof identifier.value !== 'string') continue;
      wanted.push(key(identifier.system, identifier.value));
    }
    const patient = patientReferenceOf(resource);
    if (patient !== undefined) wanted.push(patientKey(patient));
    const keys: string[] = [];
    for (const k of wanted) {
      if (byKey === undefined) {
        byKey = new Map();
        this.index.set(resourceType, byKey);
      }
      let ids = byKey.get(k);
      if (ids === undefined) {
        ids = new Set();
        byKey.set(k, ids);
      }
      ids.add(id);
      keys.push(k);
    }
    if (keys.length > 0) this.keysOf.set(ref, keys);
  }
}
