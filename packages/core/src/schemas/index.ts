export { ALERT_SEVERITIES, Alert, AlertSeverity, compareSeverity } from './alert.js';
export {
  Command,
  CommandState,
  CommandStatus,
  isFinalCommandState,
  JsonValue,
  MAX_JSON_VALUE_DEPTH,
} from './command.js';
export { DeviceDescriptor, DeviceProtocol, DeviceRole } from './device.js';
export { Envelope, EnvelopeSignature } from './envelope.js';
export { isEnvelope } from './envelope-guard.js';
export { DeviceId, deviceId, EpochMs, PatientId, patientId } from './ids.js';
export { Reading, ReadingQuality, readingId } from './reading.js';
export { isReading } from './reading-guard.js';
