#!/usr/bin/env node
// The `healthit-iomt-fhir` executable: `bin` entry → dist/iomt-fhir/bin.js.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
