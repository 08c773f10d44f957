import type { TlsCredentials } from '@healthit/core/certificates';
import { connectAsync } from 'mqtt';

/** Whether the broker accepts a new connection with these credentials. */
export async function brokerAccepts(url: string, ca: string, credentials: TlsCredentials): Promise<boolean> {
  try {
    const client = await connectAsync(url, {
      ca,
      cert: credentials.certificatePem,
      key: credentials.privateKeyPem,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    await client.endAsync();
    return true;
  } catch {
    return false;
  }
}
