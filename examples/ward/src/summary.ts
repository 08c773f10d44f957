import type { WardSummary } from './ward.js';

/** The end-of-run summary, as text. */
export function renderSummary(s: WardSummary): string {
  const severities = Object.entries(s.alertsBySeverity)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const refused = Object.entries(s.gatewayEvents)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const verified = s.ledger.chainVerified && s.ledger.anchorsVerified === s.ledger.entries;
  return [
    '',
    `Summary (${(s.elapsedMs / 1000).toFixed(1)} s${s.stoppedEarly ? ', stopped early' : ''})`,
    `  patients          ${s.patients}`,
    `  readings in       ${s.published} published by the monitors${s.publishFailures ? `, ${s.publishFailures} failed to publish` : ''}`,
    `  accepted          ${s.accepted} by the gateway${refused ? ` (refused: ${refused})` : ''}`,
    `  stored            ${s.stored} in the platform store (PGlite)${s.storeFailures ? `, ${s.storeFailures} failed` : ''}`,
    `  alerts            ${s.alerts}${severities ? ` (${severities})` : ''}`,
    `  risk scores       ${s.riskScores} from the edge model${s.riskErrors ? `, ${s.riskErrors} errors` : ''}`,
    `  ledger            ${s.ledger.entries} entries, log ${s.ledger.logId.slice(0, 16)}…`,
    `  ledger verified   ${verified ? 'yes' : 'NO'}: chain ${s.ledger.chainVerified ? 'valid' : 'INVALID'}, ${s.ledger.anchorsVerified}/${s.ledger.entries} batch anchors match the store`,
  ].join('\n');
}
