#!/usr/bin/env node
/**
 * `healthit-custom-adapter`: a pulse oximeter the SDK does not know (Masimo ASCII 1 serial lines)
 * reaches the gateway over a transport the SDK does not ship (newline-delimited JSON over TCP);
 * prints every reading, alert and refusal, then a summary. Exit status 0 when the expected
 * readings and the SpO2 alert came through, 1 otherwise.
 * @packageDocumentation
 */
import { formatEvent, formatReading, summarise } from './format.js';
import { runCustomAdapterPipeline } from './pipeline.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

try {
  const result = await runCustomAdapterPipeline({
    onReading: (r) => out(formatReading(r)),
    onAlert: (a) => out(`ALERT    ${a.severity.padEnd(6)} ${a.message}`),
    onEvent: (e) => out(formatEvent(e)),
  });
  const { lines, ok } = summarise(result);
  for (const line of lines) out(line);
  process.exitCode = ok ? 0 : 1;
} catch (error) {
  process.stderr.write(
    `healthit-custom-adapter failed: ${error instanceof Error ? error.message : String(error)}\n` +
      'It needs only a free TCP port on 127.0.0.1; check that nothing blocks local connections.\n',
  );
  process.exitCode = 1;
}
