#!/usr/bin/env node
/**
 * `healthit-ota-rollout [--devices N] [--seed N] [--no-fault] [--json]`: a signed firmware release,
 * authorised by two organisations in the ledger, rolled out in waves to simulated devices behind
 * two gateways; wave 2 hits a faulty image, the campaign aborts itself, the affected devices roll
 * back, and the fleet is checked for consistency. Exit status 0 consistent, 1 not, 2 usage error.
 * @packageDocumentation
 */
import { runOtaCli } from './cli.js';

let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});

process.exitCode = await runOtaCli(process.argv.slice(2), {
  out: (line) => {
    if (!stdoutClosed) process.stdout.write(`${line}\n`);
  },
  err: (line) => process.stderr.write(`${line}\n`),
});
