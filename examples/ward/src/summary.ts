import type { WardSummary } from './ward.js';
import { ledgerVerified } from './ward-ledger.js';

/** The end-of-run summary, as text. */
export function renderSummary(s: WardSummary): string {
  const severities = Object.entries(s.alertsBySeverity)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const refused = Object.entries(s.gatewayEvents)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const l = s.ledger;
  const verified = ledgerVerified(l);
  return [
    '',
    `Summary (${(s.elapsedMs / 1000).toFixed(1)} s${s.stoppedEarly ? ', stopped early' : ''})`,
    `  patients          ${s.patients}`,
    `  readings in       ${s.published} published by the monitors${s.publishFailures ? `, ${s.publishFailures} failed to publish` : ''}`,
    `  accepted          ${s.accepted} by the gateway${refused ? ` (refused: ${refused})` : ''}`,
    `  stored            ${s.stored} in the platform store (PGlite)${s.storeFailures ? `, ${s.storeFailures} failed` : ''}${s.notStored ? `, ${s.notStored} accepted readings MISSING` : ''}`,
    `  outbox            ${outbox(s)}`,
    `  uplink            ${uplink(s)}`,
    `  alerts            ${s.alerts}${severities ? ` (${severities})` : ''}${s.alerts === s.alertsRaised ? '' : ` of ${s.alertsRaised} raised`}`,
    `  risk scores       ${s.riskScores} from the edge model${s.riskErrors ? `, ${s.riskErrors} errors` : ''}`,
    `  ledger            ${l.entries} entries (signed reading batches), log ${l.logId.slice(0, 16)}…, witnessed checkpoints`,
    `  ledger verified   ${verified ? 'yes' : 'NO'}: log ${l.logVerified ? 'valid' : 'INVALID'} (policy, signatures, order, root, witness), ${l.anchorsVerified}/${l.anchors} batch anchors match the store, provenance of ${l.provenance?.readingId ?? '-'} ${l.provenance?.verified ? 'verified offline' : 'NOT verified'}`,
  ].join('\n');
}

/** The outbox line: where it is and its counters (appended, acknowledged, pending, refused, shed). */
function outbox(s: WardSummary): string {
  const o = s.outbox;
  const where = o.kind === 'sqlite' ? `SQLite ${o.path ?? ''}` : 'memory';
  const parts = [
    `${o.appended} appended`,
    `${o.acknowledged} acknowledged`,
    `${o.pending} pending`,
    `${o.refused} refused`,
    `${o.shed} shed`,
  ];
  if (o.replayed) parts.push(`${o.replayed} replayed from a previous run`);
  if (o.maxHeld) parts.push(`at most ${o.maxHeld} held`);
  if (o.dropped) parts.push(`${o.dropped} readings DROPPED (hold queue full)`);
  return `${where}: ${parts.join(', ')}`;
}

/** The uplink line: deliveries, redeliveries dropped by id, sends and retries. */
function uplink(s: WardSummary): string {
  const u = s.uplink;
  const parts = [`${u.delivered} records delivered in ${u.sends} sends (${u.retries} retried)`];
  parts.push(`${u.duplicates} duplicates dropped`);
  if (u.decodeFailures) parts.push(`${u.decodeFailures} failed to decode`);
  return `${u.name}: ${parts.join(', ')}`;
}
