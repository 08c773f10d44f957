/**
 * `@healthit/gateway/status`: the gateway's small local status page (devices connected, outbox
 * fill, uplink state, recent alerts), served by the gateway process itself over `node:http`, so it
 * works when the uplink is down. Server-rendered HTML that refreshes itself; no script, no CDN.
 * @packageDocumentation
 */
export {
  createGatewayStatusServer,
  createRecentAlerts,
  type GatewayDeviceStatus,
  type GatewayStatus,
  type GatewayStatusServer,
  type GatewayStatusServerOptions,
  type GatewayStatusSources,
  type GatewayUplinkStatus,
  type RecentAlerts,
  renderGatewayStatusPage,
} from './status-page.js';
