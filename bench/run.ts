/**
 * `npm run bench`: builds the packages, then measures every stage and prints a table per section:
 * each figure is the median of several runs after a warm-up, beside the ceiling measured in the same
 * run on the same machine (the same work done the plainest way) and the ratio. Each section is also
 * written to `bench/results/<section>.json` with the machine, the commit and the time. Ratios are the
 * result: absolute figures on a shared machine are noisy. `--only <word>` runs the sections whose
 * title contains the word.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { benchAiInference } from './ai-inference.js';
import { benchAuthenticatedIngest } from './authenticated-ingest.js';
import { benchFhirExport } from './fhir-export.js';
import { benchGateway } from './gateway.js';
import { benchGatt } from './gatt.js';
import { benchGrowth } from './growth.js';
import { benchHistorian } from './historian.js';
import { benchHl7 } from './hl7.js';
import { benchLedger } from './ledger.js';
import { type Figure, printFigures } from './measure.js';
import { benchMerkle } from './merkle.js';
import { benchModel } from './model.js';
import { benchNats } from './nats.js';
import { benchNews2 } from './news2.js';
import { benchOutbox } from './outbox.js';
import { benchPipeline } from './pipeline.js';
import { benchSecurity } from './security.js';
import { benchStore, benchStorePostgres } from './store.js';
import { benchTlog } from './tlog.js';
import { benchWarehouse } from './warehouse.js';

const SECTIONS: readonly [string, () => Promise<Figure[]>][] = [
  ['Device codecs: Bluetooth GATT (one core)', benchGatt],
  ['Device codecs: HL7 v2 (one core)', benchHl7],
  ['Gateway acquisition (in-process, one core)', benchGateway],
  ['Gateway NEWS2 scoring (one core)', benchNews2],
  ['Gateway ingest pipeline to the outbox (in-process, one core)', benchPipeline],
  ['Growth: gateway cost per reading by devices and by rate', benchGrowth],
  ['Gateway historian (typed arrays)', benchHistorian],
  ['Gateway outbox (SQLite, memory, forwarder)', benchOutbox],
  ['Gateway uplink: NATS JetStream on 127.0.0.1:4222', benchNats],
  ['Authenticated ingest (gateway, one core)', benchAuthenticatedIngest],
  ['Core security primitives (one core)', benchSecurity],
  ['Platform store (PGlite, in memory)', () => benchStore()],
  ['Platform store (PostgreSQL on 127.0.0.1:5432)', () => benchStorePostgres()],
  ['Platform warehouse (Parquet, DuckDB)', benchWarehouse],
  ['Platform FHIR export (embedded FHIR server)', benchFhirExport],
  ['Ledger (hash chain, Ed25519)', benchLedger],
  ['Ledger Merkle tree (RFC 9162)', benchMerkle],
  ['Ledger transparency log', benchTlog],
  ['Edge AI: the ONNX model (onnxruntime-web)', benchModel],
  ['Edge AI: the inference operators beside raw session.run', () => benchAiInference()],
];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.toLowerCase();
console.log(
  `Health-IT SDK benchmarks · node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`,
);
for (const [title, bench] of SECTIONS) {
  if (only !== undefined && !title.toLowerCase().includes(only)) continue;
  const t0 = performance.now();
  process.stdout.write(`\n… ${title}`);
  const figures = await bench();
  process.stdout.write(` (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  printFigures(title, figures);
}
