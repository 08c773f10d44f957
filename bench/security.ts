/**
 * Core security primitives: sealing and opening a 1 KiB envelope (X25519 + HKDF-SHA256 +
 * ChaCha20-Poly1305, node:crypto fast path) beside the bare construction on node:crypto (the
 * ceiling: no envelope, no canonical JSON, no base64), and signing / verifying an envelope (one
 * Ed25519 signature per batch) beside one bare node:crypto Ed25519 sign / verify of the same number
 * of bytes.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  createEnvelope,
  createIdentity,
  openEnvelope,
  READINGS_JSON,
  sealEnvelope,
  signEnvelope,
  verifyEnvelopeSignature,
} from '@healthit/core';
import { against, type Figure, medianRate, printFigures } from './measure.js';

const N = 2_000;

export async function benchSecurity(): Promise<Figure[]> {
  const platform = createIdentity({ id: 'platform', kind: 'service' });
  const device = createIdentity({ id: 'monitor-7', kind: 'device' });
  const payload = new Uint8Array(1024).fill(0x61);
  const envelope = createEnvelope({
    source: 'monitor-7',
    seq: 1,
    ts: Date.now(),
    contentType: READINGS_JSON,
    payload,
  });
  const recipient = { id: 'platform', sealingKey: platform.sealing.publicKey };
  const opener = { id: 'platform', secretKey: platform.sealing.secretKey };
  const sealed = sealEnvelope(envelope, recipient);
  const signer = { keyId: device.keyId, secretKey: device.signing.secretKey };
  const signed = signEnvelope(sealed, signer);

  const seal = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++) sealEnvelope(envelope, recipient);
  });
  const open = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++) openEnvelope(sealed, opener);
  });
  // the native ceiling: one ephemeral X25519 key pair, one agreement, HKDF and ChaCha20-Poly1305 of 1 KiB
  const { publicKey: recipientKey } = generateKeyPairSync('x25519');
  const aad = Buffer.alloc(200, 1);
  const native = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++) {
      const eph = generateKeyPairSync('x25519');
      const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipientKey });
      const okm = Buffer.from(
        hkdfSync('sha256', shared, aad.subarray(0, 64), createHash('sha256').update(aad).digest(), 44),
      );
      const c = createCipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32), {
        authTagLength: 16,
      });
      c.setAAD(aad, { plaintextLength: payload.length });
      c.update(payload);
      c.final();
      c.getAuthTag();
    }
  });
  // the native open ceiling: one agreement, HKDF and ChaCha20-Poly1305 decryption of 1 KiB
  const eph = generateKeyPairSync('x25519');
  const recipientPair = generateKeyPairSync('x25519');
  const okm0 = Buffer.from(
    hkdfSync(
      'sha256',
      diffieHellman({ privateKey: eph.privateKey, publicKey: recipientPair.publicKey }),
      aad.subarray(0, 64),
      createHash('sha256').update(aad).digest(),
      44,
    ),
  );
  const enc = createCipheriv('chacha20-poly1305', okm0.subarray(0, 32), okm0.subarray(32), {
    authTagLength: 16,
  });
  enc.setAAD(aad, { plaintextLength: payload.length });
  const ciphertext = Buffer.concat([enc.update(payload), enc.final()]);
  const tag = enc.getAuthTag();
  const nativeOpen = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++) {
      const shared = diffieHellman({ privateKey: recipientPair.privateKey, publicKey: eph.publicKey });
      const okm = Buffer.from(
        hkdfSync('sha256', shared, aad.subarray(0, 64), createHash('sha256').update(aad).digest(), 44),
      );
      const d = createDecipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32), {
        authTagLength: 16,
      });
      d.setAAD(aad, { plaintextLength: ciphertext.length });
      d.setAuthTag(tag);
      d.update(ciphertext);
      d.final();
    }
  });
  const sign = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++) signEnvelope(sealed, signer);
  });
  const keys = () => device.signing.publicKey;
  const verify = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++)
      if (!verifyEnvelopeSignature(signed, keys).ok) throw new Error('bench: bad signature');
  });
  // the signature ceilings: bare node:crypto Ed25519 over as many bytes as the signed envelope
  const ed = generateKeyPairSync('ed25519');
  const message = Buffer.from(JSON.stringify(sealed));
  const signature = nodeSign(null, message, ed.privateKey);
  const nativeSign = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++) nodeSign(null, message, ed.privateKey);
  });
  const nativeVerify = await medianRate(3, N, () => {
    for (let i = 0; i < N; i++)
      if (!nodeVerify(null, message, ed.publicKey, signature)) throw new Error('bench: bad signature');
  });
  const sealCeiling = 'the same construction on node:crypto: key pair + agreement + HKDF + AEAD';
  return [
    {
      name: 'seal a 1 KiB envelope (X25519, HKDF-SHA256, ChaCha20-Poly1305; native)',
      value: seal,
      unit: 'ops/s',
      ...against(seal, 'ops/s', sealCeiling, native),
    },
    {
      name: 'open a 1 KiB sealed envelope',
      value: open,
      unit: 'ops/s',
      ...against(open, 'ops/s', 'the same on node:crypto: agreement + HKDF + AEAD decrypt', nativeOpen),
    },
    {
      name: 'sign an envelope (Ed25519, canonical JSON)',
      value: sign,
      unit: 'ops/s',
      ...against(sign, 'ops/s', `node:crypto Ed25519 sign of ${message.length} bytes`, nativeSign),
    },
    {
      name: 'verify an envelope signature (strict Ed25519, native)',
      value: verify,
      unit: 'ops/s',
      ...against(verify, 'ops/s', `node:crypto Ed25519 verify of ${message.length} bytes`, nativeVerify),
    },
  ];
}

// `node --conditions=@healthit/source --import tsx bench/security.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Core security primitives', await benchSecurity());
}
