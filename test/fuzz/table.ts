/**
 * Renders the JSON lines a fuzz run wrote (`FUZZ_REPORT=<file>`) as the Markdown table of
 * docs/fuzzing.md: one row per target, in the order given.
 *
 *   npx tsx test/fuzz/table.ts fuzz-results.jsonl
 */
import { readFileSync } from 'node:fs';
import type { FuzzResult } from './fuzz.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: tsx test/fuzz/table.ts <results.jsonl>');
  process.exit(2);
}
const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as FuzzResult);

const n = (x: number): string => x.toLocaleString('en-US').replaceAll(',', ' ');
console.log('| target | runs | crashes | returned | typed rejections | time (s) | slowest input (ms) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${n(r.runs)} | 0 | ${n(r.returned)} | ${n(r.rejected)} | ${(r.totalMs / 1000).toFixed(1)} | ${r.maxInputMs} |`,
  );
}
