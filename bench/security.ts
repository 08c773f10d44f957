/**
 * Core security primitives: sealing and opening a 1 KiB envelope (X25519 + HKDF-SHA256 +
 * ChaCha20-Poly1305, node:crypto fast path) beside the bare construction on node:crypto (the
 * ceiling: no envelope, no canonical JSON, no base64), and signing / verifying an envelope (one
 * Ed25519 signature per batch).
 */
import { createCipheriv, createHash, diffieHellman, generateKeyPairSync, hkdfSync } from 'node:crypto';
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
import { bestRate, type Figure, printFigures } from './measure.js';

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

  const seal = await bestRate(3, N, () => {
    for (let i = 0; i < N; i++) sealEnvelope(envelope, recipient);
  });
  const open = await bestRate(3, N, () => {
    for (let i = 0; i < N; i++) openEnvelope(sealed, opener);
  });
  // the native ceiling: one ephemeral X25519 key pair, one agreement, HKDF and ChaCha20-Poly1305 of 1 KiB
  const { publicKey: recipientKey } = generateKeyPairSync('x25519');
  const aad = Buffer.alloc(200, 1);
  const native = await bestRate(3, N, () => {
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
  const sign = await bestRate(3, N, () => {
    for (let i = 0; i < N; i++) signEnvelope(sealed, signer);
  });
  const keys = () => device.signing.publicKey;
  const verify = await bestRate(3, N, () => {
    for (let i = 0; i < N; i++)
      if (!verifyEnvelopeSignature(signed, keys).ok) throw new Error('bench: bad signature');
  });
  return [
    {
      name: 'seal a 1 KiB envelope (X25519, HKDF-SHA256, ChaCha20-Poly1305; native)',
      value: seal,
      unit: 'ops/s',
      note: `${Math.round((100 * seal) / native)} % of native`,
    },
    {
      name: 'open a 1 KiB sealed envelope',
      value: open,
      unit: 'ops/s',
      note: `${Math.round((100 * open) / native)} % of native`,
    },
    {
      name: 'the same seal on node:crypto (native ceiling, key pair + agreement + AEAD)',
      value: native,
      unit: 'ops/s',
    },
    { name: 'sign an envelope (Ed25519, canonical JSON)', value: sign, unit: 'ops/s' },
    { name: 'verify an envelope signature (strict Ed25519, native)', value: verify, unit: 'ops/s' },
  ];
}

// `node --conditions=@healthit/source --import tsx bench/security.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Core security primitives', await benchSecurity());
}
