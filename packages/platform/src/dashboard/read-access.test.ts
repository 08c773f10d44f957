import type { Principal, ReadingStore } from '@healthit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertManager } from '../alerts/index.js';
import { createPgliteReadingStore } from '../pglite/index.js';
import { bearerTokenAuthenticator } from './auth.js';
import { createEventTickets } from './event-tickets.js';
import { createDashboard, type Dashboard, type DashboardOptions, isLoopback } from './server.js';

const nurse: Principal = { id: 'nurse-ann', roles: ['nurse'], wards: ['ward-7'], patients: [] };
const authenticate = bearerTokenAuthenticator({ 'nurse-token': nurse });
const bearer = { authorization: 'Bearer nurse-token' };

describe('dashboard read access', () => {
  const open: Dashboard[] = [];
  let store: ReadingStore;
  beforeAll(async () => {
    store = await createPgliteReadingStore();
  });
  afterAll(() => store.close());
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
  });
  function dashboard(options: Partial<DashboardOptions> = {}): Dashboard {
    const d = createDashboard({
      sources: {
        patients: () => [{ patientId: 'p-1', label: 'Bed 1' }],
        store,
        alerts: createAlertManager({ wardOf: () => 'ward-7' }),
      },
      authenticate,
      ...options,
    });
    open.push(d);
    return d;
  }

  it('signed-in: the API answers 401 without an identity and 200 with one; config stays open', async () => {
    const d = dashboard({ readAccess: 'signed-in' });
    for (const url of ['/api/ward', '/api/alerts', '/api/patients/p-1?from=0&to=1000', '/api/models']) {
      const anonymous = await d.app.inject({ url });
      expect(anonymous.statusCode, url).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      const wrong = await d.app.inject({ url, headers: { authorization: 'Bearer not-a-token' } });
      expect(wrong.statusCode, url).toBe(401);
    }
    expect((await d.app.inject({ url: '/api/ward', headers: bearer })).statusCode).toBe(200);
    const config = await d.app.inject({ url: '/api/config' });
    expect(config.statusCode).toBe(200);
    expect(config.json().readAccess).toBe('signed-in');
    // The page itself loads (it asks for the token).
    expect((await d.app.inject({ url: '/' })).statusCode).toBe(200);
  });

  it('signed-in: the live stream needs a single-use ticket, which needs the token', async () => {
    const d = dashboard({ readAccess: 'signed-in' });
    const url = await d.listen();
    expect((await fetch(`${url}api/events`)).status).toBe(401);
    expect((await fetch(`${url}api/events?ticket=${'A'.repeat(43)}`)).status).toBe(401);
    expect((await fetch(`${url}api/events/ticket`, { method: 'POST' })).status).toBe(401);
    const { ticket } = (await (
      await fetch(`${url}api/events/ticket`, { method: 'POST', headers: bearer })
    ).json()) as { ticket: string };
    const controller = new AbortController();
    const live = await fetch(`${url}api/events?ticket=${ticket}`, { signal: controller.signal });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    // Spent: a replayed ticket is refused.
    expect((await fetch(`${url}api/events?ticket=${ticket}`)).status).toBe(401);
  });

  it('open reads are refused on a network interface unless allowed', async () => {
    const d = dashboard();
    await expect(d.listen({ host: '0.0.0.0' })).rejects.toMatchObject({ code: 'config/invalid' });
    const allowed = dashboard({ allowOpenReadsOnNetwork: true });
    await expect(allowed.listen({ host: '0.0.0.0' })).resolves.toMatch(/^http:/);
    const signedIn = dashboard({ readAccess: 'signed-in' });
    await expect(signedIn.listen({ host: '0.0.0.0' })).resolves.toMatch(/^http:/);
  });

  it('signed-in without authenticate is a configuration error', () => {
    expect(() =>
      createDashboard({
        sources: { patients: () => [], store, alerts: createAlertManager({ wardOf: () => 'w' }) },
        readAccess: 'signed-in',
      }),
    ).toThrow(/needs an authenticate/);
  });

  it('isLoopback knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.5', '::', 'ward.example.org', '128.0.0.1'])
      expect(isLoopback(h), h).toBe(false);
  });
});

describe('createEventTickets', () => {
  it('a ticket is redeemed once, only before it expires, and the oldest goes when full', () => {
    let now = 1_000;
    const tickets = createEventTickets({ ttlMs: 30_000, maxOutstanding: 2, now: () => now });
    const a = tickets.issue(nurse);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tickets.redeem(a)).toEqual(nurse);
    expect(tickets.redeem(a)).toBeUndefined();
    const b = tickets.issue(nurse);
    now += 30_000;
    expect(tickets.redeem(b)).toBeUndefined();
    const c = tickets.issue(nurse);
    const d = tickets.issue(nurse);
    const e = tickets.issue(nurse);
    expect(tickets.size).toBe(2);
    expect(tickets.redeem(c)).toBeUndefined();
    expect(tickets.redeem(d)).toEqual(nurse);
    expect(tickets.redeem(e)).toEqual(nurse);
    expect(tickets.redeem(undefined)).toBeUndefined();
    expect(tickets.redeem('short')).toBeUndefined();
  });
});
