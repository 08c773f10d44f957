import { describe, expect, it } from 'vitest';
import { runSecureWard } from '../src/secure-ward.js';

describe('the secure ward example', () => {
  it('onboards and certifies every device, renews mid-stream, revokes the decommissioned one, and loses nothing', async () => {
    const lines: string[] = [];
    const s = await runSecureWard({
      patients: 2,
      durationMs: 6_000,
      periodMs: 250,
      log: (l) => lines.push(l),
    });
    expect(s.devices).toBeGreaterThanOrEqual(2);
    expect(s.published).toBeGreaterThan(0);
    expect(s.lost).toBe(0);
    expect(s.accepted).toBeGreaterThan(0);
    expect(s.decommissionedRefusedByBroker).toBe(true);
    expect(s.refused['device-decommissioned']).toBeGreaterThan(0);
    // the platform's server, the broker, every device and the gateway, and the two renewals
    expect(s.certificatesIssued).toBe(2 + s.devices + 1 + 2);
    // the two superseded certificates and the decommissioned device's
    expect(s.certificatesRevoked).toBe(3);
    expect(s.ok).toBe(true);
    expect(lines.join('\n')).toMatch(/renewed: .* presented new certificates mid-stream/);
  }, 60_000);
});
