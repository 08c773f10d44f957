/**
 * How the example prints what the gateway saw.
 * @packageDocumentation
 */
import type { Reading } from '@healthit/core';
import type { GatewayEvent } from '@healthit/gateway';
import type { PipelineResult } from './pipeline.js';

/** One reading as a line: time, metric, value, unit, quality, id. */
export function formatReading(r: Reading): string {
  const time = new Date(r.ts).toISOString().slice(11, 19);
  return `reading  ${time} ${r.metric.padEnd(10)} ${String(r.value).padStart(4)} ${r.unit.padEnd(4)} ${(r.quality ?? '').padEnd(12)} ${r.id}`;
}

/** One gateway event as a line. */
export function formatEvent(e: GatewayEvent): string {
  switch (e.type) {
    case 'decoder-notice':
      return `notice   ${e.notice.type}: ${e.notice.message}`;
    case 'reading-duplicate':
      return `dropped  duplicate ${e.readingId} (last seq ${e.lastSeq})`;
    case 'message-rejected':
    case 'reading-rejected':
      return `refused  ${e.type}: ${e.error.message}`;
    default:
      return `event    ${e.type}`;
  }
}

/** The closing summary, and whether the run showed what it should. */
export function summarise(result: PipelineResult): { lines: string[]; ok: boolean } {
  const count = (type: GatewayEvent['type']) => result.events.filter((e) => e.type === type).length;
  const lines = [
    '',
    `readings ${result.readings.length} (spo2 ${result.readings.filter((r) => r.metric === 'spo2').length}, pulse-rate ${result.readings.filter((r) => r.metric === 'pulse-rate').length})`,
    `alerts   ${result.alerts.length}`,
    `notices  ${count('decoder-notice')}, duplicates ${count('reading-duplicate')}, refused messages ${count('message-rejected')}`,
  ];
  const ok = result.readings.length > 0 && result.alerts.length > 0 && count('message-rejected') === 1;
  return { lines, ok };
}
