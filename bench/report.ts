/**
 * `npm run bench:report`: writes the tables of the latest results (`bench/results/*.json`, as
 * `npm run bench` and `npm run bench:load` leave them) into docs/performance.md, between the
 * `<!-- bench:begin -->` and `<!-- bench:end -->` markers: one table per section with the median,
 * the same-run ceiling and the ratio, and the machine, commit and time each section ran on.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './measure.js';

interface Result {
  readonly title: string;
  readonly measuredAt: string;
  readonly commit: string;
  readonly machine: { cpu: string; cores: number; node: string; loadAverage: number[]; memoryGiB: number };
  readonly figures: readonly Figure[];
}

const here = dirname(fileURLToPath(import.meta.url));
const results = join(here, 'results');
const docs = join(here, '..', 'docs', 'performance.md');

function format(value: number, unit: string): string {
  if (unit === '' && Math.abs(value) < 1) return value.toFixed(4);
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

const files = readdirSync(results)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(results, f), 'utf8')) as Result)
  .sort((a, b) => a.measuredAt.localeCompare(b.measuredAt));

const lines: string[] = [];
for (const r of files) {
  const m = r.machine;
  lines.push(
    `### ${r.title}`,
    '',
    `${r.measuredAt.slice(0, 16).replace('T', ' ')} UTC, commit ${r.commit}, ${m.cpu} × ${m.cores}, ${m.memoryGiB} GiB, node ${m.node}, load average ${m.loadAverage.join(' / ')} at the end.`,
    '',
    '| figure | median | unit | ceiling (same run) | ratio |',
    '| --- | ---: | --- | --- | ---: |',
  );
  for (const f of r.figures) {
    const ceiling = f.ceiling === undefined ? '—' : `${format(f.ceiling.value, f.unit)}: ${f.ceiling.name}`;
    const ratio = f.ratio === undefined ? '—' : `${f.ratio.toFixed(2)} ×`;
    const note = f.note === undefined ? '' : ` (${f.note})`;
    lines.push(
      `| ${cell(f.name + note)} | ${format(f.value, f.unit)} | ${cell(f.unit)} | ${cell(ceiling)} | ${ratio} |`,
    );
  }
  lines.push('');
}

const doc = readFileSync(docs, 'utf8');
const begin = '<!-- bench:begin -->';
const end = '<!-- bench:end -->';
const a = doc.indexOf(begin);
const b = doc.indexOf(end);
if (a === -1 || b === -1 || b < a) throw new Error(`${docs} has no ${begin} … ${end} markers`);
writeFileSync(docs, `${doc.slice(0, a + begin.length)}\n\n${lines.join('\n')}\n${doc.slice(b)}`);
console.log(`docs/performance.md: ${files.length} sections from bench/results/`);
