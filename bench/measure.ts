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

/** Prints figures as an aligned table. */
export function printFigures(title: string, figures: readonly Figure[]): void {
  console.log(`\n${title}`);
  for (const f of figures) {
    const value = f.value >= 100 ? Math.round(f.value).toLocaleString('en-US') : f.value.toFixed(2);
    console.log(`  ${f.name.padEnd(68)} ${value.padStart(12)} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
  }
}
