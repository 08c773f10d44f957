/**
 * `@healthit/gateway/nats`: the gateway's `Uplink` to NATS JetStream (Node only;
 * `@nats-io/transport-node` and `@nats-io/jetstream` are optional peer dependencies).
 * @packageDocumentation
 */
export type { NatsConnectOptions, NatsUplinkOptions } from './options.js';
export { defaultStreamName, subjectToken } from './subject.js';
export { createNatsUplink } from './uplink.js';
