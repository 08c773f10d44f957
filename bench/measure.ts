import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The ceiling a figure is compared with: the same work done the plainest way (a bare loop with the
 * same parse and validation, raw `crypto.hash`, raw `session.run`, raw COPY), measured in the same
 * run on the same machine, in the figure's unit.
 */
export interface Ceiling {
  readonly name: string;
  readonly value: number;
}

/** One figure a benchmark reports. */
export interface Figure {
  readonly name: string;
  /** The median of the measured runs (a rate, a time, a size: see `unit`). */
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
  /** The same-run ceiling, when the figure has one. */
  readonly ceiling?: Ceiling;
  /**
   * How close the figure comes to its ceiling, 0–1 (above 1: faster than the ceiling): value ÷
   * ceiling for rates, ceiling ÷ value for times and sizes; for interleaved rounds, the median of
   * the per-round ratios.
   */
  readonly ratio?: number;
  /** How many measured runs `value` is the median of. */
  readonly runs?: number;
}

/** True for units where more is better (rates). */
export function isRate(unit: string): boolean {
  return unit.endsWith('/s');
}

/**
 * The ceiling fields of a figure: `ceiling` and `ratio` (value ÷ ceiling for rates, ceiling ÷ value
 * otherwise), or the given `ratio` when it was measured per round.
 */
export function against(
  value: number,
  unit: string,
  ceilingName: string,
  ceilingValue: number,
  ratio?: number,
): Pick<Figure, 'ceiling' | 'ratio'> {
  return {
    ceiling: { name: ceilingName, value: ceilingValue },
    ratio: ratio ?? (isRate(unit) ? value / ceilingValue : ceilingValue / value),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs a whole measurement `k` times, each from scratch (a load that cannot be repeated on the
 * same data, a training run), and keeps per figure name the median value, the median ceiling and
 * the median of the per-run ratios. `runs` becomes `k` times the figure's own runs (1 when unset).
 */
export async function medianOfRuns(k: number, run: (i: number) => Promise<Figure[]>): Promise<Figure[]> {
  const all: Figure[][] = [];
  for (let i = 0; i < k; i++) all.push(await run(i));
  const first = all[0] ?? [];
  return first.map((f) => {
    const same = all.map((figures) => figures.find((g) => g.name === f.name)).filter((g) => g !== undefined);
    const ratios = same.flatMap((g) => (g.ratio === undefined ? [] : [g.ratio]));
    const ceilings = same.flatMap((g) => (g.ceiling === undefined ? [] : [g.ceiling.value]));
    const values = same.map((g) => g.value);
    const each = `runs: ${values.map((v) => formatValue(v, f.unit)).join(' / ')}`;
    return {
      ...f,
      value: median(values),
      runs: same.length * (f.runs ?? 1),
      note: f.note === undefined ? each : `${f.note}; ${each}`,
      ...(f.ceiling === undefined ? {} : { ceiling: { ...f.ceiling, value: median(ceilings) } }),
      ...(ratios.length === 0 ? {} : { ratio: median(ratios) }),
    };
  });
}

/**
 * Runs `fn` once to warm up, then `runs` times, and returns the median rate in items/s. `runs` is
 * at least 3.
 */
export async function medianRate(
  runs: number,
  items: number,
  fn: () => Promise<void> | void,
): Promise<number> {
  await fn();
  const rates: number[] = [];
  for (let i = 0; i < Math.max(3, runs); i++) {
    const t0 = performance.now();
    await fn();
    rates.push(items / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

/** What {@link interleavedRates} measured for one function. */
export interface InterleavedRate {
  /** The median rate over the rounds, items/s. */
  readonly median: number;
  /** The median over the rounds of (this rate ÷ the ceiling's rate in the same round). */
  readonly ratio: number;
}

/**
 * Measures a ceiling and the functions compared with it in alternation: each round runs the ceiling,
 * then every function once, so that a slow spell of a shared machine (noisy neighbours, steal time)
 * hits a ceiling and its figures alike. After one warm-up round, returns per function the median rate
 * and the median of its per-round ratio to the ceiling (the ceiling's own ratio is 1).
 */
export async function interleavedRates<K extends string>(
  rounds: number,
  items: number,
  ceiling: () => Promise<void> | void,
  fns: Readonly<Record<K, () => Promise<void> | void>>,
): Promise<{ ceiling: InterleavedRate } & Record<K, InterleavedRate>> {
  const once = async (fn: () => Promise<void> | void): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return items / ((performance.now() - t0) / 1000);
  };
  const names = Object.keys(fns) as K[];
  const rates = new Map<K | 'ceiling', number[]>([
    ['ceiling', []],
    ...names.map((n) => [n, []] as [K, number[]]),
  ]);
  const ratios = new Map<K, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round <= rounds; round++) {
    const c = await once(ceiling);
    for (const name of names) {
      const r = await once(fns[name]);
      if (round === 0) continue; // warm-up
      rates.get(name)?.push(r);
      ratios.get(name)?.push(r / c);
    }
    if (round > 0) rates.get('ceiling')?.push(c);
  }
  const out: Record<string, InterleavedRate> = {
    ceiling: { median: median(rates.get('ceiling') ?? []), ratio: 1 },
  };
  for (const name of names)
    out[name] = { median: median(rates.get(name) ?? []), ratio: median(ratios.get(name) ?? []) };
  return out as { ceiling: InterleavedRate } & Record<K, InterleavedRate>;
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

function formatValue(value: number, unit = ''): string {
  if (unit === '' && Math.abs(value) < 1) return value.toFixed(4); // a metric such as AUROC
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}

let commit: string | undefined;
function gitCommit(): string {
  if (commit === undefined) {
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      commit = 'unknown';
    }
  }
  return commit;
}

/** The machine a result was measured on, as written into every results file. */
export function machine(): Record<string, unknown> {
  return {
    host: hostname(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/**
 * Prints figures as a table (figure, median, unit, same-run ceiling, ratio) and writes them to
 * `bench/results/<title as a slug>.json` with the machine, the commit and the time.
 */
export function printFigures(title: string, figures: readonly Figure[]): void {
  console.log(`\n${title}`);
  for (const f of figures) {
    const value = `${formatValue(f.value, f.unit).padStart(12)} ${f.unit.padEnd(11)}`;
    const ceiling =
      f.ceiling === undefined
        ? ''
        : `  ceiling ${formatValue(f.ceiling.value, f.unit)} → ${(f.ratio ?? Number.NaN).toFixed(2)} ×`;
    console.log(`  ${f.name.padEnd(66)} ${value}${ceiling}${f.note ? `  (${f.note})` : ''}`);
    if (f.ceiling !== undefined) console.log(`  ${''.padEnd(66)}   ceiling: ${f.ceiling.name}`);
  }
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by the standalone benchmarks, not by a turbo task
  if (process.env.BENCH_NO_RESULTS === '1') return;
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${slug(title)}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      { title, measuredAt: new Date().toISOString(), commit: gitCommit(), machine: machine(), figures },
      null,
      2,
    )}\n`,
  );
}
