export { type ErrorClass, type ErrorCode, ErrorCodes } from './codes.js';
export { HealthItError, type HealthItErrorOptions, isHealthItError } from './health-it-error.js';
export { ValidationError, type ValidationIssue } from './validation-error.js';
