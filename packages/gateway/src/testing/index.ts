/**
 * `@healthit/gateway/testing`: conformance suites for integrators' own adapters (they import
 * vitest and fast-check, so they live apart from the runtime entry).
 * @packageDocumentation
 */
export {
  describeOutboxConformance,
  type OutboxConformanceOptions,
  type OutboxFactory,
  type OutboxUnderTest,
} from '../uplink/outbox-conformance.js';
export { freePort } from './free-port.js';
export { ChildBroker } from './mosquitto-child.js';
