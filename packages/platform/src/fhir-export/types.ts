/**
 * The R4 shapes the exporter reads from a server's answers (a structural subset). The exporter
 * talks to any FHIR R4 server, so it does not depend on Medplum's types package.
 */

/** R4 `OperationOutcome.issue`. */
export interface FhirOperationOutcomeIssue {
  severity?: string;
  code?: string;
  details?: { text?: string };
  diagnostics?: string;
  location?: string[];
  expression?: string[];
}

/** R4 `OperationOutcome`. */
export interface FhirOperationOutcome {
  resourceType: 'OperationOutcome';
  issue?: FhirOperationOutcomeIssue[];
}

/** A FHIR resource: its type, id and anything else. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  [element: string]: unknown;
}

/** R4 `Bundle.entry`, the parts used here. */
export interface FhirBundleEntry<R extends FhirResource = FhirResource> {
  fullUrl?: string;
  resource?: R;
  search?: { mode?: 'match' | 'include' | 'outcome' };
  request?: { method: string; url: string; ifNoneExist?: string };
  response?: { status: string; location?: string; outcome?: FhirOperationOutcome };
}

/** R4 `Bundle`, the parts used here. */
export interface FhirBundle<R extends FhirResource = FhirResource> {
  resourceType: 'Bundle';
  type: string;
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: FhirBundleEntry<R>[];
}
