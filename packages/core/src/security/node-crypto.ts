/**
 * node:crypto found at run time with `process.getBuiltinModule` (Node ≥ 20.16), never a static
 * import, so the security module still bundles for browsers (where the @noble fallbacks run).
 * @internal
 */

let loaded: Record<string, unknown> | null | undefined;

/** The node:crypto module, or undefined outside Node. Looked up once, on first use. */
export function nodeCryptoModule(): Record<string, unknown> | undefined {
  if (loaded === undefined) {
    try {
      const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
      const mod = proc?.getBuiltinModule?.('node:crypto');
      loaded = typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>) : null;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * A node:crypto private KeyObject from a raw 32-byte secret key (PKCS #8 DER: `prefix` ‖ secret),
 * cached by the secret key's array (a caller reuses its key array), so no secret ever becomes a
 * map key string and entries go with the arrays. Importing costs far more than using the key.
 */
export function cachedPrivateKey<K>(
  createPrivateKey: (options: { key: Uint8Array; format: 'der'; type: 'pkcs8' }) => K,
  pkcs8Prefix: Uint8Array,
  secretKey: Uint8Array,
  cache: WeakMap<Uint8Array, K>,
): K {
  let key = cache.get(secretKey);
  if (key === undefined) {
    const der = new Uint8Array(pkcs8Prefix.length + secretKey.length);
    der.set(pkcs8Prefix, 0);
    der.set(secretKey, pkcs8Prefix.length);
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    cache.set(secretKey, key);
  }
  return key;
}
