import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'test-fixtures', 'append-and-forward.ts');
const TOTAL = 3000;

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves when a line satisfies `predicate`. */
  until(predicate: (line: string) => boolean): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(db: string, from: number): Run {
  const child = spawn(
    process.execPath,
    ['--conditions=@healthit/source', '--import', 'tsx', FIXTURE, db, String(from), String(TOTAL), '20', '2'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const lines: string[] = [];
  const waiters: { predicate: (line: string) => boolean; resolve: () => void }[] = [];
  let rest = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.predicate(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exited,
    until: (predicate) =>
      new Promise<void>((resolve, reject) => {
        if (lines.some(predicate)) return resolve();
        waiters.push({ predicate, resolve });
        void exited.then(({ code, signal }) =>
          reject(new Error(`child exited (${code ?? signal}) before the expected line; stderr: ${stderr}`)),
        );
      }),
  };
}

function parse(lines: readonly string[]) {
  const appended: number[] = [];
  const received: { id: string; position: number }[] = [];
  const acked: number[] = [];
  let resume: number | undefined;
  for (const line of lines) {
    const [what, a, b] = line.split(' ');
    if (what === 'appended') for (let n = Number(a); n <= Number(b); n++) appended.push(n);
    else if (what === 'received') received.push({ id: a!, position: Number(b) });
    else if (what === 'acked') acked.push(Number(a));
    else if (what === 'resume' && a !== 'none') resume = Number(a);
  }
  return { appended, received, acked, resume };
}

describe('SQLite outbox survives SIGKILL', () => {
  it('loses nothing appended, keeps per-device order, and resumes from the first unacknowledged record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthit-sigkill-'));
    try {
      const db = join(dir, 'outbox.db');
      const first = start(db, 0);
      // Kill it mid-stream: well after forwarding started, well before appending ends.
      await first.until((l) => l.startsWith('acked ') && Number(l.split(' ')[1]) >= 600);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const one = parse(first.lines);
      expect(one.appended.length).toBeLessThan(TOTAL);
      const lastAppended = one.appended.at(-1)!;
      const lastAcked = one.acked.at(-1)!;

      const second = start(db, lastAppended + 1);
      await second.until((l) => l === 'done');
      expect((await second.exited).code).toBe(0);
      const two = parse(second.lines);

      // Forwarding resumed from the first unacknowledged record: nothing acknowledged is sent
      // again, and nothing between the last printed acknowledgement and the resume point was
      // skipped (those were acknowledged just before the kill, after being received).
      expect(two.resume).toBeDefined();
      expect(two.resume).toBeGreaterThan(lastAcked);
      expect(two.received[0]!.position).toBe(two.resume);
      const receivedInOne = new Set(one.received.map((r) => r.position));
      for (let p = lastAcked + 1; p < two.resume!; p++) expect(receivedInOne.has(p)).toBe(true);
      // Redeliveries are only of records never acknowledged.
      const receivedInTwo = new Set(two.received.map((r) => r.position));
      for (const p of receivedInOne) if (receivedInTwo.has(p)) expect(p).toBeGreaterThan(lastAcked);

      // Nothing appended-and-reported is lost; per device, order is kept.
      const all = [...one.received, ...two.received];
      const ids = new Set(all.map((r) => r.id));
      for (const n of [...one.appended, ...two.appended]) expect(ids.has(`dev-${n % 3}/${n}`)).toBe(true);
      expect(new Set([...one.appended, ...two.appended]).size).toBe(TOTAL);
      const seen = new Set<string>();
      const perDevice = new Map<string, number[]>();
      for (const r of all) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        const [device, n] = r.id.split('/');
        perDevice.set(device!, [...(perDevice.get(device!) ?? []), Number(n)]);
      }
      for (const [, seqs] of perDevice) expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
      // Positions are contiguous: every stored record was delivered.
      const positions = new Set(all.map((r) => r.position));
      const maxPosition = Math.max(...positions);
      expect(positions.size).toBe(maxPosition);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
