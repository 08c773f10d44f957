/**
 * `@healthit/ledger/file`: ledger storage in an append-only JSON-lines file (Node only).
 * @packageDocumentation
 */
export {
  type FileLedgerStorage,
  type FileLedgerStorageOptions,
  openFileLedgerStorage,
} from './file-storage.js';
export { decodeLine, encodeLine, LEDGER_FILE_FORMAT, LedgerFileHeader } from './format.js';
