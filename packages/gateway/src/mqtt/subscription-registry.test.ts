import { describe, expect, it } from 'vitest';
import { createSubscriptionRegistry } from './subscription-registry.js';

describe('createSubscriptionRegistry', () => {
  it('counts listeners per filter: only the first add subscribes and only the last remove unsubscribes', () => {
    const r = createSubscriptionRegistry<string>(false);
    const a = r.add('ward/+/spo2', 'a');
    const b = r.add('ward/+/spo2', 'b');
    expect(a.first).toBe(true);
    expect(b.first).toBe(false);
    expect(b.entry).toBe(a.entry);
    expect(r.remove(a.entry, 'a')).toBe(false);
    expect(r.isLive(a.entry)).toBe(true);
    expect(r.remove(a.entry, 'b')).toBe(true);
    expect(r.isLive(a.entry)).toBe(false);
    expect(r.remove(a.entry, 'b')).toBe(false);
    expect(r.add('ward/+/spo2', 'c').first).toBe(true);
  });

  it('without identifiers, targets every entry whose filter matches the topic', () => {
    const r = createSubscriptionRegistry<string>(false);
    r.add('ward/#', 'all');
    r.add('ward/+/spo2', 'spo2');
    r.add('other/#', 'other');
    expect(r.targets('ward/bed-1/spo2', undefined).map((e) => e.filter)).toEqual(['ward/#', 'ward/+/spo2']);
    expect(r.targets('ward/bed-1/hr', [1, 2]).map((e) => e.filter)).toEqual(['ward/#']);
  });

  it('with identifiers, targets exactly the entries the broker named, and never a forgotten one', () => {
    const r = createSubscriptionRegistry<string>(true);
    const all = r.add('ward/#', 'all').entry;
    const spo2 = r.add('ward/+/spo2', 'spo2').entry;
    expect(all.id).toBe(1);
    expect(spo2.id).toBe(2);
    expect(r.targets('ward/bed-1/spo2', 2).map((e) => e.filter)).toEqual(['ward/+/spo2']);
    expect(r.targets('ward/bed-1/spo2', [1, 2]).map((e) => e.filter)).toEqual(['ward/#', 'ward/+/spo2']);
    // No identifier: not one of ours. An identifier whose filter does not match: ignored.
    expect(r.targets('ward/bed-1/spo2', undefined)).toEqual([]);
    expect(r.targets('ward/bed-1/hr', [2])).toEqual([]);
    r.remove(spo2, 'spo2');
    expect(r.targets('ward/bed-1/spo2', [2])).toEqual([]);
    // A re-subscribed filter gets a fresh identifier, so late copies for the old one are dropped.
    expect(r.add('ward/+/spo2', 'again').entry.id).toBe(3);
  });

  it('clear forgets and returns every entry', () => {
    const r = createSubscriptionRegistry<string>(true);
    r.add('a', 'x');
    r.add('b', 'y');
    expect(r.clear().map((e) => e.filter)).toEqual(['a', 'b']);
    expect(r.entries()).toEqual([]);
    expect(r.targets('a', 1)).toEqual([]);
  });
});
