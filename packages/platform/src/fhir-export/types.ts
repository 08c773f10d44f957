/**
 * The R4 shapes the exporter reads from a server's answers (a structural subset). The exporter
 * talks to any FHIR R4 server, so it does not depend on Medplum's types package.
 */

/** R4 `OperationOutcome.issue`. */
export interface FhirOperationOutcomeIssue {
  /** `fatal`, `error`, `warning` or `information` (R4 IssueSeverity). */
  severity?: string;
  /** The R4 IssueType code, e.g. `invalid`, `duplicate`, `throttled`. */
  code?: string;
  /** Further detail as a CodeableConcept; only its `text` is read. */
  details?: { text?: string };
  /** The server's free-text diagnostic (e.g. a stack trace or the offending value). */
  diagnostics?: string;
  /** Deprecated in R4: XPath locations of the problem in the resource. */
  location?: string[];
  /** FHIRPath expressions of the elements the issue concerns, e.g. `Observation.code`. */
  expression?: string[];
}

/** R4 `OperationOutcome`. */
export interface FhirOperationOutcome {
  /** Always `OperationOutcome`. */
  resourceType: 'OperationOutcome';
  /** The problems reported, in the server's order (0..*; R4 requires at least one, not every server does). */
  issue?: FhirOperationOutcomeIssue[];
}

/** A FHIR resource: its type, id and anything else. */
export interface FhirResource {
  /** The resource type, e.g. `Observation`, `Patient`, `Bundle`. */
  resourceType: string;
  /** The logical id the server assigned; absent on a resource not yet created. */
  id?: string;
  [element: string]: unknown;
}

/** R4 `Bundle.entry`, the parts used here. */
export interface FhirBundleEntry<R extends FhirResource = FhirResource> {
  /** The entry's absolute URL on the server (e.g. `https://fhir.example/Observation/123`). */
  fullUrl?: string;
  /**
   * The resource: a search match, or in a transaction-response the created resource when the server
   * returns it.
   */
  resource?: R;
  /** Why a search-set entry is there: a `match`, an `include`d resource, or an `outcome` with warnings. */
  search?: { mode?: 'match' | 'include' | 'outcome' };
  /**
   * In a transaction or batch: the HTTP method, relative URL and conditional-create `If-None-Exist`
   * query.
   */
  request?: { method: string; url: string; ifNoneExist?: string };
  /**
   * In a transaction or batch response: the HTTP status line (e.g. `201 Created`), the `Location`
   * of the resource, and an OperationOutcome on failure.
   */
  response?: { status: string; location?: string; outcome?: FhirOperationOutcome };
}

/** R4 `Bundle`, the parts used here. */
export interface FhirBundle<R extends FhirResource = FhirResource> {
  /** Always `Bundle`. */
  resourceType: 'Bundle';
  /** The Bundle type, e.g. `searchset`, `transaction`, `transaction-response`, `batch-response`. */
  type: string;
  /** In a search set: how many resources match in all (when the server counts them). */
  total?: number;
  /** Paging links of a search set, e.g. `self` and `next` with its URL. */
  link?: { relation: string; url: string }[];
  /** The entries, in order; a response Bundle has one per request entry. */
  entry?: FhirBundleEntry<R>[];
}
