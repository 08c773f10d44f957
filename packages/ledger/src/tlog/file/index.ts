/**
 * `@healthit/ledger/tlog/file`: the transparency log's storage in append-only files (Node only).
 * @packageDocumentation
 */
export {
  ENTRIES_MAGIC,
  type FileLogStorage,
  type FileLogStorageOptions,
  LOG_FILES,
  openFileLogStorage,
  TREE_MAGIC,
} from './file-log-storage.js';
