#!/usr/bin/env node
/**
 * `healthit-verify-bundle <bundle.json> --log-key <vkey> [--witness <vkey>]... [--witnesses-required k]`:
 * verifies a reading's provenance bundle offline. Exit status 0 valid, 1 invalid, 2 usage error.
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { runVerifyBundle } from './verify-bundle-command.js';

process.exitCode = await runVerifyBundle(process.argv.slice(2), {
  readFile: (path) => readFile(path),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
