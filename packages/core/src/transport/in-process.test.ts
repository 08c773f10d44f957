import { describeTransportConformance } from '../testing/transport-conformance.js';
import { createInProcessTransport } from './in-process.js';

describeTransportConformance('in-process', async () => {
  const t = createInProcessTransport();
  return { publisher: t, subscriber: t, dispose: () => t.close() };
});
