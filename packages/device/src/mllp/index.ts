/**
 * `@healthit/device/mllp`: HL7 v2 over MLLP (TCP framing `0x0B … 0x1C 0x0D`), the way legacy
 * bedside monitors send HL7 — a streaming frame decoder, a server that acknowledges every message,
 * and a client that sends one message at a time. Node only (`node:net`).
 * @packageDocumentation
 */
export { createMllpClient, type MllpClient, type MllpClientOptions, MllpTimeoutError } from './client.js';
export {
  createMllpFrameDecoder,
  DEFAULT_MAX_FRAME_BYTES,
  decodeMllpFrames,
  encodeMllpFrame,
  KEPT_PREFIX_BYTES,
  MLLP_CARRIAGE_RETURN,
  MLLP_END_BLOCK,
  MLLP_START_BLOCK,
  type MllpFrameDecoder,
  type MllpFrameDecoderOptions,
  type MllpFrameEvent,
} from './frame.js';
export {
  createMllpTransport,
  MLLP_TOPIC_PREFIX,
  type MllpTransport,
  type MllpTransportOptions,
} from './mllp-transport.js';
export {
  createMllpServer,
  type MllpCloseReason,
  type MllpHandlerResult,
  type MllpMessageContext,
  type MllpMessageHandler,
  type MllpServer,
  type MllpServerEvent,
  type MllpServerOptions,
} from './server.js';
