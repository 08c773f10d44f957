/** One figure a benchmark reports. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

/** Runs `fn` once to warm up, then `runs` times, and returns the best (highest) rate in items/s. */
export async function bestRate(runs: number, items: number, fn: () => Promise<void> | void): Promise<number> {
  await fn();
  let best = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, items / seconds);
  }
  return best;
}

/** What {@link interleavedRates} measured for one function. */
export interface InterleavedRate {
  /** The median rate over the rounds, items/s. */
  readonly median: number;
  /** The median over the rounds of (this rate ÷ the ceiling's rate in the same round). */
  readonly ratio: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
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

/** Prints figures as an aligned table. */
export function printFigures(title: string, figures: readonly Figure[]): void {
  console.log(`\n${title}`);
  for (const f of figures) {
    const value = f.value >= 100 ? Math.round(f.value).toLocaleString('en-US') : f.value.toFixed(2);
    console.log(`  ${f.name.padEnd(68)} ${value.padStart(12)} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
  }
}
