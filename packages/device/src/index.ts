/**
 * `@healthit/device`: where the physical world enters. Protocol codecs for real health devices
 * (Bluetooth GATT health profiles with IEEE 11073 SFLOAT/FLOAT, HL7 v2 ORU^R01 from bedside
 * monitors, the JSON device message, Open mHealth), a seeded clinical patient simulator with
 * scenarios, sensor faults and ground truth, and actuators with a command lifecycle and safety
 * limits. Runs in Node and browsers: no Node built-ins here (the MLLP transport is on
 * `@healthit/device/mllp`).
 * @packageDocumentation
 */
export * from './actuators/index.js';
export * from './firmware/index.js';
export * from './gatt/index.js';
export * from './hl7v2/index.js';
export * from './json/index.js';
export * from './openmhealth/index.js';
export * from './publish/index.js';
export * from './simulated-devices/index.js';
export * from './simulator/index.js';
