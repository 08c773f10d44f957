/**
 * The platform's web dashboard: ward overview, patient detail, alerts (acknowledge and resolve under
 * core access control), devices and rollouts, ledger (checkpoint, witnesses, verify a reading) and
 * models, served by fastify with live updates over server-sent events. Its inputs are small typed
 * data sources; assets (uPlot included) are served from the package: no CDN.
 * @packageDocumentation
 */
export { bearerToken, bearerTokenAuthenticator, roleClaimAuthenticator } from './auth.js';
export {
  createEventTickets,
  type EventTicketOptions,
  type EventTickets,
} from './event-tickets.js';
export {
  createCommandHistory,
  createNews2History,
  createPatientHistory,
  type LivePatientHistory,
  type PatientCommand,
  type PatientHistory,
  type PatientHistoryOptions,
} from './history.js';
export {
  createDashboard,
  type Dashboard,
  type DashboardListenOptions,
  type DashboardOptions,
  isLoopback,
} from './server.js';
export type {
  Authenticate,
  CommandSource,
  DashboardCommand,
  DashboardDevice,
  DashboardModel,
  DashboardPatient,
  DashboardRequest,
  DashboardSources,
  DashboardWitness,
  DeviceSource,
  LedgerSource,
  LedgerStatus,
  MaybePromise,
  ModelSource,
  News2Point,
  News2Source,
  ProvenanceStepView,
  ProvenanceView,
  RolloutSource,
} from './sources.js';
export { createSseHub, type SseHub, type SseHubOptions, type SseHubStats } from './sse.js';
