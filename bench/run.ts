/**
 * `npm run bench`: builds the packages, then measures the walking skeleton's stages and prints the
 * figures. Run on an idle machine; each figure is the best of several runs after a warm-up.
 */
import { cpus } from 'node:os';
import { benchAuthenticatedIngest } from './authenticated-ingest.js';
import { benchFhirExport } from './fhir-export.js';
import { benchGateway } from './gateway.js';
import { benchGatt } from './gatt.js';
import { benchHistorian } from './historian.js';
import { benchHl7 } from './hl7.js';
import { benchLedger } from './ledger.js';
import { printFigures } from './measure.js';
import { benchMerkle } from './merkle.js';
import { benchModel } from './model.js';
import { benchNats } from './nats.js';
import { benchOutbox } from './outbox.js';
import { benchPipeline } from './pipeline.js';
import { benchSecurity } from './security.js';
import { benchStore, benchStorePostgres } from './store.js';
import { benchTlog } from './tlog.js';
import { benchWarehouse } from './warehouse.js';

console.log(
  `Health-IT SDK benchmarks · node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`,
);
printFigures('Device codecs: Bluetooth GATT (one core)', await benchGatt());
printFigures('Device codecs: HL7 v2 (one core)', await benchHl7());
printFigures('Gateway acquisition (in-process, one core)', await benchGateway());
printFigures('Gateway ingest pipeline to the outbox (in-process, one core)', await benchPipeline());
printFigures('Gateway historian (typed arrays)', await benchHistorian());
printFigures('Gateway outbox (SQLite, memory, forwarder)', await benchOutbox());
printFigures('Gateway uplink: NATS JetStream on 127.0.0.1:4222', await benchNats());
printFigures('Platform store (PGlite, in memory)', await benchStore());
printFigures('Platform store (PostgreSQL on 127.0.0.1:5432)', await benchStorePostgres());
printFigures('Platform warehouse (Parquet, DuckDB)', await benchWarehouse());
printFigures('Platform FHIR export (embedded FHIR server)', await benchFhirExport());
printFigures('Ledger (hash chain, Ed25519)', await benchLedger());
printFigures('Ledger Merkle tree and transparency log', [...(await benchMerkle()), ...(await benchTlog())]);
printFigures('Core security primitives (one core)', await benchSecurity());
printFigures('Authenticated ingest (gateway, one core)', await benchAuthenticatedIngest());
printFigures('Edge AI (onnxruntime-web)', await benchModel());
