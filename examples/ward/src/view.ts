import type { Alert, MetricId, Reading } from '@healthit/core';
import { compareSeverity } from '@healthit/core';
import type { News2ScoreUpdate } from '@healthit/gateway';

/** A patient's clinical context as the view shows it (from the FHIR server). */
export interface RowContext {
  readonly spo2Scale: 1 | 2;
  readonly onOxygen: boolean;
  /** The ward of the current Encounter. */
  readonly ward?: string;
}

/** The latest state of one patient, as the table shows it. */
export interface PatientRow {
  readonly patientId: string;
  readonly scenario: string;
  readonly latest: Partial<Record<MetricId, number>>;
  risk?: number;
  alerts: number;
  lastAlert?: Alert;
  /** From the FHIR server; absent without one (the patient is then scored on Scale 1, on air). */
  context?: RowContext;
  /** The latest NEWS2 score: its input (with the SpO2 scale it was scored on) and result. */
  news2?: Pick<News2ScoreUpdate, 'input' | 'result' | 'ts'>;
}

/** What the live table shows: one row per patient, updated from the streams. */
export interface WardView {
  readonly rows: ReadonlyMap<string, PatientRow>;
  onReading(r: Reading): void;
  onAlert(a: Alert): void;
  onRisk(patientId: string, risk: number): void;
  onContext(patientId: string, context: RowContext): void;
  onNews2(update: News2ScoreUpdate): void;
}

/** A view of `patients` (id → scenario), in the given order. */
export function createWardView(patients: ReadonlyArray<{ patientId: string; scenario: string }>): WardView {
  const rows = new Map<string, PatientRow>(
    patients.map((p) => [
      p.patientId,
      { patientId: p.patientId, scenario: p.scenario, latest: {}, alerts: 0 },
    ]),
  );
  return {
    rows,
    onReading(r) {
      const row = r.patientId === undefined ? undefined : rows.get(r.patientId);
      if (row) row.latest[r.metric] = r.value;
    },
    onAlert(a) {
      const row = a.patientId === undefined ? undefined : rows.get(a.patientId);
      if (!row) return;
      row.alerts += 1;
      if (
        row.lastAlert === undefined ||
        compareSeverity(a.severity, row.lastAlert.severity) >= 0 ||
        a.ts >= row.lastAlert.ts
      ) {
        row.lastAlert = a;
      }
    },
    onRisk(patientId, risk) {
      const row = rows.get(patientId);
      if (row) row.risk = risk;
    },
    onContext(patientId, context) {
      const row = rows.get(patientId);
      if (row) row.context = context;
    },
    onNews2(u) {
      const row = rows.get(u.patientId);
      if (row) row.news2 = { input: u.input, result: u.result, ts: u.ts };
    },
  };
}

const COLUMNS = [
  ['Patient', 12],
  ['Scenario', 13],
  ['HR /min', 8],
  ['SpO2 %', 7],
  ['RR /min', 8],
  ['Temp °C', 8],
  ['BP mm[Hg]', 10],
  ['NEWS2', 9],
  ['Risk', 6],
  ['Alerts', 7],
  ['Last alert', 40],
] as const;

function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function fmt(value: number | undefined, digits = 0): string {
  return value === undefined ? '—' : value.toFixed(digits);
}

/** The NEWS2 total, with `S2` when scored on SpO2 Scale 2 and `O2` when on oxygen. */
function news2Cell(row: PatientRow): string {
  const n = row.news2;
  if (n === undefined) return '—';
  return [String(n.result.total), n.input.spo2Scale === 2 ? 'S2' : '', n.input.onOxygen ? 'O2' : '']
    .filter((t) => t !== '')
    .join(' ');
}

/**
 * Renders the view as a fixed-width text table with a header line (and a legend when a patient is
 * scored on SpO2 Scale 2 or on oxygen).
 */
export function renderTable(view: WardView, heading: string): string {
  const header = COLUMNS.map(([name, w]) => cell(name, w)).join(' ');
  const lines = [heading, header, '─'.repeat(header.length)];
  for (const row of view.rows.values()) {
    const v = row.latest;
    const bp = v['bp-systolic'] === undefined ? '—' : `${fmt(v['bp-systolic'])}/${fmt(v['bp-diastolic'])}`;
    const last = row.lastAlert ? `${row.lastAlert.severity.toUpperCase()} ${row.lastAlert.message}` : '';
    const values = [
      row.patientId,
      row.scenario,
      fmt(v['heart-rate']),
      fmt(v.spo2),
      fmt(v['respiratory-rate']),
      fmt(v['body-temperature'], 1),
      bp,
      news2Cell(row),
      row.risk === undefined ? '—' : row.risk.toFixed(2),
      String(row.alerts),
      last,
    ];
    lines.push(
      values
        .map((text, i) => cell(text, COLUMNS[i]?.[1] ?? 10))
        .join(' ')
        .trimEnd(),
    );
  }
  const rows = [...view.rows.values()];
  if (rows.some((r) => r.news2?.input.spo2Scale === 2 || r.news2?.input.onOxygen)) {
    lines.push(
      'NEWS2: S2 = SpO2 Scale 2 (hypercapnic respiratory failure, from the FHIR server), O2 = on oxygen',
    );
  }
  return lines.join('\n');
}
