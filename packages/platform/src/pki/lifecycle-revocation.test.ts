import { createCertificateRequest } from '@healthit/core/certificates';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificate-authority.js';
import {
  type LifecycleChange,
  type LifecycleRevocation,
  revokeWithLifecycle,
} from './lifecycle-revocation.js';

describe('revokeWithLifecycle', () => {
  it('revokes a device’s certificates when it is suspended or decommissioned, not on other changes', async () => {
    const ca = await createCertificateAuthority({ name: 'Lifecycle CA' });
    const issue = async (id: string) =>
      ca.issue({ csr: (await createCertificateRequest(id)).der, subjectId: id, kind: 'device' });
    const a = await issue('a');
    const b = await issue('b');
    const c = await issue('c');
    const changes$ = new Subject<LifecycleChange>();
    const done: LifecycleRevocation[] = [];
    const sub = revokeWithLifecycle(ca, changes$).subscribe((r) => done.push(r));
    changes$.next({ type: 'key-added', deviceId: 'a' });
    changes$.next({ type: 'state-changed', deviceId: 'a', to: 'active' });
    expect(ca.status(a.serialNumber)).toBe('valid');
    changes$.next({ type: 'state-changed', deviceId: 'a', to: 'suspended' });
    changes$.next({ type: 'state-changed', deviceId: 'b', to: 'decommissioned' });
    sub.unsubscribe();
    changes$.next({ type: 'state-changed', deviceId: 'c', to: 'decommissioned' }); // not listening any more
    expect(done.map((d) => [d.deviceId, d.reason, d.revoked.length])).toEqual([
      ['a', 'certificateHold', 1],
      ['b', 'cessationOfOperation', 1],
    ]);
    expect([a, b, c].map((r) => ca.status(r.serialNumber))).toEqual(['revoked', 'revoked', 'valid']);
  });
});
