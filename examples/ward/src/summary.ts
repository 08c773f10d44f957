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
    `  readings in       ${s.published} published by the devices${s.publishFailures ? `, ${s.publishFailures} failed to publish` : ''}`,
    `  accepted          ${s.accepted} by the gateway${refused ? ` (refused: ${refused})` : ''}`,
    `  stored            ${s.stored} in the platform store (PGlite)${s.storeFailures ? `, ${s.storeFailures} failed` : ''}${s.notStored ? `, ${s.notStored} accepted readings MISSING` : ''}`,
    `  outbox            ${outbox(s)}`,
    `  uplink            ${uplink(s)}`,
    `  alerts            ${s.alerts}${severities ? ` (${severities})` : ''}${s.alerts === s.alertsRaised ? '' : ` of ${s.alertsRaised} raised`}`,
    `  risk scores       ${s.riskScores} from the edge model${s.riskErrors ? `, ${s.riskErrors} errors` : ''}`,
    `  model monitor     ${modelLine(s)}`,
    `  devices           ${devicesLine(s)}`,
    `  firmware rollout  ${rolloutLine(s)}`,
    `  ledger            ${l.entries} entries (signed reading batches), log ${l.logId.slice(0, 16)}…, witnessed checkpoints`,
    `  ledger verified   ${verified ? 'yes' : 'NO'}: log ${l.logVerified ? 'valid' : 'INVALID'} (policy, signatures, order, root, witness), ${l.anchorsVerified}/${l.anchors} batch anchors match the store, provenance of ${l.provenance?.readingId ?? '-'} ${l.provenance?.verified ? 'verified offline' : 'NOT verified'}`,
    `  NEWS2             ${news2(s)}`,
    ...fhirLines(s),
  ].join('\n');
}

/** The model monitor's line: rolling accuracy against the delayed labels, input drift, alarms. */
function modelLine(s: WardSummary): string {
  const m = s.model;
  const figure = (x: number | null) => (x === null ? '-' : x.toFixed(3));
  const drift =
    m.drift === undefined
      ? 'input drift: too few scores yet'
      : `input drift: ${m.drift.driftedFeatures} of 5 inputs at PSI >= 0.5, highest ${m.drift.psi.toFixed(2)} (${m.drift.feature}; latest ${m.drift.samples} scores vs ${m.referenceRows} reference rows)`;
  return [
    `AUROC ${figure(m.auroc)}, Brier ${figure(m.brier)} over ${m.labelled} labelled windows (${m.positives} with true NEWS2 >= 5 within ${(m.labelHorizonMs / 1000).toFixed(0)} s)`,
    drift,
    m.alarms.length === 0 ? 'no alarm' : `ALARM ${m.alarms.join(', ')}`,
  ].join('; ');
}

/** The devices line: kinds, online, battery range, firmware versions. */
function devicesLine(s: WardSummary): string {
  const d = s.devices;
  const kinds = Object.entries(d.byKind)
    .map(([k, n]) => `${n} ${k}s`)
    .join(', ');
  const firmware = Object.entries(d.firmware)
    .map(([v, n]) => `${v} ×${n}`)
    .join(', ');
  const parts = [
    `${d.total} (${kinds}): ${d.online} of ${d.heard} heard online`,
    d.battery === undefined ? 'no battery reported' : `battery ${d.battery.min}–${d.battery.max} %`,
    `firmware ${firmware || '-'}`,
    `${d.heartbeats} heartbeats`,
  ];
  if (d.heartbeatsRefused) parts.push(`${d.heartbeatsRefused} REFUSED`);
  if (d.heartbeatFailures) parts.push(`${d.heartbeatFailures} failed to publish`);
  if (d.offlineAlerts) parts.push(`${d.offlineAlerts} offline alerts`);
  return parts.join(', ');
}

/** The rollout line: the campaign's phase, wave and counts. */
function rolloutLine(s: WardSummary): string {
  const r = s.rollout;
  if (r === undefined) return 'none (rollout: false)';
  const c = r.status;
  if (c === undefined) return `${r.campaignId} not started (the run ended first)`;
  const failed = c.counts.failed + c.counts['rolled-back'];
  return `${c.campaignId} → ${r.version} ${c.phase.toUpperCase()}${c.reason ? ` (${c.reason})` : ''}, wave ${c.wave} of ${c.waveCount}: ${c.counts.updated} of ${c.population} updated, ${failed} failed or rolled back, ${c.inFlight} in flight; ${r.reports} device reports${r.refusedReports ? `, ${r.refusedReports} REFUSED` : ''}`;
}

/** Patient ids as a short list. */
function ids(list: readonly string[]): string {
  if (list.length === 0) return 'none';
  return list.length <= 4 ? list.join(', ') : `${list.slice(0, 4).join(', ')} and ${list.length - 4} more`;
}

/** The NEWS2 line: patients scored, on which scale, on oxygen. */
function news2(s: WardSummary): string {
  const n = s.news2;
  const parts = [
    `${n.patientsScored}/${s.patients} patients scored at the edge`,
    `SpO2 Scale 2: ${ids(n.scale2)}`,
    `on oxygen: ${ids(n.onOxygen)}`,
    `${n.riskRises} rises in clinical risk`,
  ];
  if (n.rejected) parts.push(`${n.rejected} REJECTED`);
  if (s.fhir === undefined) parts.push('no FHIR server (--no-fhir): everyone on Scale 1, on air');
  return parts.join(', ');
}

/** The FHIR lines: server and seed, clinical context, Observations exported. */
function fhirLines(s: WardSummary): string[] {
  const f = s.fhir;
  if (f === undefined) return [];
  const seeded = Object.entries(f.seeded)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ');
  const c = f.context;
  const e = f.export;
  const skipped = Object.entries(e.skipped)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  return [
    `  FHIR server       ${f.server} R4 at ${f.baseUrl}, seeded with ${seeded}; ${f.ward}; ready in ${(f.setUpMs / 1000).toFixed(1)} s`,
    `  clinical context  ${c.reads} reads (TTL ${(c.ttlMs / 1000).toFixed(0)} s), ${c.failures} failed, ${c.entries} NEWS2 entries; Scale 2: ${ids(c.scale2)}; on oxygen: ${ids(c.onOxygen)}`,
    `  FHIR export       ${e.observations} Observations from ${e.readings} stored readings${skipped ? ` (no mapping: ${skipped})` : ''}: ${e.createdDuringRun} created during the run, ${e.createdAtEnd} at the end, ${e.existing} re-sent and already there, ${e.failed} failed${e.failedDuringRun ? ` (${e.failedDuringRun} failed during the run, re-sent)` : ''}; ${e.onServer} on the server${e.error ? `; ERROR ${e.error}` : ''}`,
  ];
}

/** True when the FHIR export, if any, lost nothing: no failure and every Observation on the server. */
export function fhirExported(s: WardSummary): boolean {
  const e = s.fhir?.export;
  return e === undefined || (e.failed === 0 && e.error === undefined && e.onServer >= e.observations);
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
