/**
 * `@healthit/gateway/mqtt`: the MQTT `Transport` on mqtt.js v5 (an optional peer dependency:
 * install `mqtt` to use this subpath).
 * @packageDocumentation
 */
export type { EarlyMessageCounts, EarlyMessageOptions } from './early-messages.js';
export type {
  MqttConnectionSettings,
  MqttTlsSettings,
  MqttTransportCommonOptions,
  MqttTransportOptions,
} from './options.js';
export { createMqttTransport, type MqttTransport } from './transport.js';
