#!/usr/bin/env node
/**
 * `healthit-cold-chain [--data DIR] [--seed N] [--no-excursion]`: a drug shipment from manufacturer
 * to freight to pharmacy on the permissioned transparency log, in virtual time; then a pharmacist
 * verifies one vial's full history offline. Exit status 0 all verified, 1 a verification failed,
 * 2 usage error.
 * @packageDocumentation
 */
import { runColdChainCli } from './cli.js';

// `healthit-cold-chain | head`: once the reader has gone, drop the rest of the output quietly.
let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});

process.exitCode = await runColdChainCli(process.argv.slice(2), {
  out: (line) => {
    if (!stdoutClosed) process.stdout.write(`${line}\n`);
  },
  err: (line) => process.stderr.write(`${line}\n`),
});
