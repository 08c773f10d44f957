#!/usr/bin/env node
/**
 * `healthit-edge-ai [--duration 24h] [--shift-at 6h] [--patients N] [--seed N] [--tamper] [--quiet]`:
 * the edge-AI lifecycle end to end in simulated time — train, deploy (verified, shadow, promoted),
 * monitor, a population shift, drift and accuracy alarms, a retrain request, retraining with an
 * evaluation against the current model, approval on the ledger, redeployment, recovery. Exit status
 * 0 recovered, 1 not recovered, 2 usage error.
 * @packageDocumentation
 */
import { runEdgeAiCli } from './cli.js';

// `healthit-edge-ai | head`: once the reader has gone, drop the rest of the output quietly.
let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});

process.exitCode = await runEdgeAiCli(process.argv.slice(2), {
  out: (line) => {
    if (!stdoutClosed) process.stdout.write(`${line}\n`);
  },
  err: (line) => process.stderr.write(`${line}\n`),
});
