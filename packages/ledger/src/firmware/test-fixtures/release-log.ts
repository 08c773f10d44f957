/**
 * A witnessed transparency log of firmware releases for the firmware authorisation tests: the
 * four-organisation consortium of the policy tests (firmware needs manufacturer release AND (QA OR
 * hospital biomed)), real Ed25519 keys from fixed seeds, memory storage, checkpoints cosigned by
 * real witnesses. Not part of the public API.
 * @internal
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Entry, EntryBody } from '../../entries/index.js';
import { toHex } from '../../hex.js';
import {
  createEd25519NoteSigner,
  createWitness,
  formatVerifierKey,
  type NoteSigner,
  SignatureTypes,
} from '../../note/index.js';
import { type MembershipPolicy, policyKeyLookup } from '../../policy/index.js';
import { createTransparencyLog, type TransparencyLog } from '../../tlog/index.js';
import {
  consortiumV1,
  createWriter,
  type KeyName,
  LOG_SIGNER,
  LOG_VERIFIER,
  ORIGIN,
  pub,
  T0,
  type Writer,
} from '../../tlog/test-fixtures/consortium.js';
import { buildFirmwareAuthorisationProof } from '../build.js';
import type { FirmwareAuthorisationProof } from '../bundle.js';
import type { FirmwareAuthorisationVerifierOptions } from '../verify.js';

export { ORIGIN, T0 };

/** The release stream of the tests. */
export const STREAM = 'lot:po-200-firmware';

/** The hardware the test releases are for. */
export const HARDWARE = 'po-200.rev-a';

/** A firmware image: deterministic bytes and their SHA-256. */
export interface TestImage {
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/** The image named `label` (its bytes are the label repeated to 4 KiB). */
export function testImage(label: string): TestImage {
  const unit = new TextEncoder().encode(`${label}\n`);
  const bytes = new Uint8Array(4096).map((_, i) => unit[i % unit.length] as number);
  return { bytes, sha256: toHex(sha256(bytes)) };
}

/** A `firmware.authorize` body for `image`. */
export function releaseBody(
  image: TestImage,
  overrides: Partial<EntryBody<'firmware.authorize'>> = {},
): EntryBody<'firmware.authorize'> {
  return {
    imageDigest: image.sha256,
    version: '2.4.1',
    hardwareIds: [HARDWARE, 'po-200.rev-b'],
    ...overrides,
  };
}

/** A log key signer with the test origin as its name (another key when `n` differs). */
export function logSigner(n: number): NoteSigner {
  return createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(n) });
}

/** Options of {@link createReleaseLog}. */
export interface ReleaseLogOptions {
  /**
   * `policy`: the log enforces the consortium policy at append (the normal case). `keys`: it only
   * checks signatures under the given member keys (a log that does not gate endorsements, or
   * gates them under a laxer policy): what it holds the device must judge itself.
   */
  readonly gate?: 'policy' | 'keys';
  /** With `gate: 'keys'`: key id → public key the log believes (default: the policy's keys). */
  readonly keys?: ReadonlyMap<string, string>;
  /** Witnesses cosigning each checkpoint (default 2). */
  readonly witnessCount?: number;
}

/** What {@link createReleaseLog} returns. */
export interface ReleaseLog {
  readonly log: TransparencyLog;
  readonly writer: Writer;
  /** The log's verifier key string. */
  readonly logVkey: string;
  /** The witnesses' cosignature verifier key strings. */
  readonly witnessVkeys: readonly string[];
  /** The membership policy the consortium (and the device) trusts. */
  readonly membership: MembershipPolicy;
  /** Signs a release by `signers` (at `ts`, default T0) and appends it: resolves with its index. */
  authorise(
    body: EntryBody<'firmware.authorize'>,
    signers: readonly KeyName[],
    options?: { readonly ts?: number; readonly as?: readonly { keyId: string; with: KeyName }[] },
  ): Promise<number>;
  /** Appends another kind of entry (a `config.change` by the logger). */
  appendOther(): Promise<number>;
  /** The proof of the entry at `index` under a cosigned checkpoint of the whole log so far. */
  prove(index: number): Promise<FirmwareAuthorisationProof>;
  /** What the device trusts: the log key, every witness (all required), the consortium policy. */
  trust(extra?: Partial<FirmwareAuthorisationVerifierOptions>): FirmwareAuthorisationVerifierOptions;
}

/** A release log; close its `log` after the test. */
export function createReleaseLog(options: ReleaseLogOptions = {}): ReleaseLog {
  const membership = consortiumV1();
  const witnesses = Array.from({ length: options.witnessCount ?? 2 }, (_, i) =>
    createWitness({
      key: { name: `witness.example/w${i + 1}`, secretKey: new Uint8Array(32).fill(70 + i) },
      log: LOG_VERIFIER,
    }),
  );
  const witnessVkeys = witnesses.map((w) =>
    formatVerifierKey(w.name, w.verifier.publicKey, SignatureTypes.cosignatureV1),
  );
  const gate =
    (options.gate ?? 'policy') === 'policy'
      ? { policy: membership }
      : { keys: options.keys ?? policyKeyLookup(membership) };
  const log = createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    ...gate,
    witnesses,
    batch: { maxEntries: 64, maxWaitMs: 0 },
    checkpointEveryMs: 0,
  });
  const writer = createWriter();
  const append = async (entry: Entry): Promise<number> => {
    const { index } = await log.append(entry);
    writer.commit(entry);
    return index;
  };
  return {
    log,
    writer,
    logVkey: formatVerifierKey(ORIGIN, LOG_SIGNER.publicKey),
    witnessVkeys,
    membership,
    authorise: (body, signers, extra = {}) =>
      append(
        writer.make('firmware.authorize', signers, {
          stream: STREAM,
          body,
          ts: extra.ts ?? T0,
          ...(extra.as === undefined ? {} : { as: extra.as }),
        }),
      ),
    appendOther: () => append(writer.make('config.change', ['logger-7'])),
    async prove(index) {
      const checkpointNote = await log.awaitCheckpoint(log.size - 1); // covers every entry so far
      return buildFirmwareAuthorisationProof({ log, index, checkpointNote });
    },
    trust: (extra = {}) => ({
      logKey: formatVerifierKey(ORIGIN, LOG_SIGNER.publicKey),
      witnesses: witnessVkeys,
      membership,
      ...extra,
    }),
  };
}

/** The public key of a consortium key id, for logs that believe other keys. */
export { pub };
