import {
  createIdentity,
  HealthItError,
  isHealthItError,
  type LoadedModel,
  type ModelArtifact,
  type ModelRuntime,
  publicIdentity,
  type Tensor,
  utf8Encode,
  ValidationError,
} from '@healthit/core';
import { recordingLedger } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { lastValueFrom, map, type Observable, of, type SchedulerLike, Subject, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { approveModel } from '../artifacts/approve.js';
import type { ModelApproval, SignedModelArtifact } from '../artifacts/manifest.js';
import { signModelArtifact } from '../artifacts/sign.js';
import type { ModelSpec } from '../artifacts/spec.js';
import { createModelVerifier } from '../artifacts/verify.js';
import type { MonitorEvent } from '../monitoring/monitor.js';
import {
  buildReferenceProfile,
  type SignedReferenceProfile,
  signReferenceProfile,
} from '../monitoring/reference-profile.js';
import { rollbackOnAlarm } from './alarm-rollback.js';
import { createModelDeployment, type ModelDeployment, type ModelDeploymentOptions } from './deployment.js';
import type { DeploymentEvent, ScoringEvent } from './events.js';

// ---- fixtures: signed, approved stub models; a runtime whose models say which version they are ----

const SEED = (n: number) => new Uint8Array(32).fill(n);
const platform = createIdentity({ id: 'platform-trainer', kind: 'service', signingSecretKey: SEED(31) });
const biomed = createIdentity({ id: 'biomed-lead', kind: 'person', signingSecretKey: SEED(32) });
const mallory = createIdentity({ id: 'mallory', kind: 'person', signingSecretKey: SEED(33) });
const clock = { now: () => Date.UTC(2025, 5, 1) };
const FEATURES = [
  { name: 'a', unit: '1' },
  { name: 'b', unit: '1' },
];
const SPEC: ModelSpec = {
  inputs: [{ name: 'features', type: 'float32', shape: ['N', 2] }],
  outputs: [{ name: 'risk', type: 'float32', shape: ['N', 1] }],
  features: FEATURES,
  description: 'A stub whose score names its version.',
};

const ledger = recordingLedger({ logId: 'b'.repeat(64) });

interface Release {
  readonly version: string;
  readonly signed: SignedModelArtifact;
  readonly approval: ModelApproval;
  readonly profile: SignedReferenceProfile;
}

async function release(
  version: string,
  options: { id?: string; spec?: ModelSpec; signer?: typeof platform } = {},
): Promise<Release> {
  const id = options.id ?? 'risk';
  const bytes = utf8Encode(`stub model ${id}@${version}`);
  const signed = await signModelArtifact(
    { artifact: { id, version, format: 'onnx', bytes }, spec: options.spec ?? SPEC, metrics: { auroc: 0.9 } },
    options.signer ?? platform,
    { clock },
  );
  const approval = await approveModel(signed, {
    approver: biomed,
    ledger,
    trustedSigners: [publicIdentity(platform), publicIdentity(mallory)],
    clock,
  });
  const profile = signReferenceProfile(
    buildReferenceProfile({ columns: FEATURES, rows: 4, x: [0, 0, 1, 1, 2, 2, 3, 3] }, [0.1, 0.2, 0.3, 0.4], {
      model: { id, version, sha256: signed.manifest.sha256 },
      clock,
    }),
    platform,
  );
  return { version, signed, approval, profile };
}

function deploy(r: Release, mode: 'shadow' | 'active' = 'shadow', extra: Record<string, unknown> = {}) {
  return {
    type: 'deploy',
    commandId: `deploy-${r.version}`,
    artifact: { manifest: r.signed.manifest, sig: r.signed.sig, bytes: r.signed.bytes },
    approval: r.approval,
    profile: r.profile,
    mode,
    ...extra,
  };
}

/** The major version, which the stub's scores carry: score = major/10 + a/1000. */
const major = (version: string) => Number(version.split('.')[0]);

interface StubRuntime extends ModelRuntime {
  readonly loads: string[];
  readonly disposed: string[];
  readonly failing: Set<string>;
  /** Inputs (column a) each version ran, in order. */
  readonly ran: Map<string, number[]>;
}

/** A runtime of stub models; runs take `durationMs` on `scheduler` (virtual time), or a macrotask. */
function stubRuntime(options: { scheduler?: SchedulerLike; durationMs?: number } = {}): StubRuntime {
  const loads: string[] = [];
  const disposed: string[] = [];
  const failing = new Set<string>();
  const ran = new Map<string, number[]>();
  return {
    name: 'stub',
    loads,
    disposed,
    failing,
    ran,
    async load(artifact: ModelArtifact): Promise<LoadedModel> {
      const { version } = artifact;
      loads.push(version);
      return {
        id: artifact.id,
        version,
        inputNames: ['features'],
        outputNames: ['risk'],
        run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
          const x = feeds.features as Tensor & { type: 'float32' };
          const n = x.dims[0] as number;
          const a = Array.from({ length: n }, (_, i) => x.data[i * 2] as number);
          ran.set(version, [...(ran.get(version) ?? []), ...a]);
          const outcome = (): Record<string, Tensor> => {
            if (failing.has(version)) throw new HealthItError('model/run', `stub ${version} fails`);
            return {
              risk: {
                type: 'float32',
                data: Float32Array.from(a, (v) => major(version) / 10 + v / 1000),
                dims: [n, 1],
              },
            };
          };
          const { scheduler } = options;
          if (scheduler === undefined) {
            return new Promise((resolve, reject) =>
              setTimeout(() => {
                try {
                  resolve(outcome());
                } catch (e) {
                  reject(e);
                }
              }, options.durationMs ?? 0),
            );
          }
          const thenable = {
            // biome-ignore lint/suspicious/noThenProperty: settled in virtual time, on purpose
            then(onFulfilled: (v: Record<string, Tensor>) => void, onRejected: (e: unknown) => void): void {
              scheduler.schedule(() => {
                try {
                  onFulfilled(outcome());
                } catch (e) {
                  onRejected(e);
                }
              }, options.durationMs ?? 0);
            },
          };
          return thenable as unknown as Promise<Record<string, Tensor>>;
        },
        async dispose() {
          disposed.push(version);
        },
      };
    },
  };
}

function deploymentWith(runtime: ModelRuntime, extra: Partial<ModelDeploymentOptions> = {}): ModelDeployment {
  return createModelDeployment({
    modelId: 'risk',
    runtime,
    verifier: createModelVerifier({
      signers: [publicIdentity(platform)],
      approvers: [publicIdentity(biomed)],
      ledger,
    }),
    profileSigners: [publicIdentity(platform)],
    features: FEATURES,
    clock,
    ...extra,
  });
}

interface Input {
  readonly id: string;
  readonly a: number;
}
const features = (input: Input) => [input.a, 0];

function compact(events$: Observable<ScoringEvent<Input>>): Observable<string> {
  return events$.pipe(map((e) => `${e.type} ${e.input.id} ${e.version}`));
}

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

let v1: Release;
let v2: Release;
let v3: Release;
beforeAll(async () => {
  [v1, v2, v3] = [await release('1.0.0'), await release('2.0.0'), await release('3.0.0')];
});

// ---- verification before loading ----

describe('deploy: a model must verify before it loads', () => {
  it('loads a signed, approved version with its profile, in shadow, and reports each transition', async () => {
    const runtime = stubRuntime();
    const deployment = deploymentWith(runtime);
    const result = await deployment.execute(deploy(v1));
    expect(result.ok).toBe(true);
    expect(runtime.loads).toEqual(['1.0.0']);
    expect(deployment.status().shadow).toMatchObject({ version: '1.0.0', role: 'shadow', profiled: true });
    expect(deployment.status().active).toBeUndefined();
    expect(deployment.profileOf('1.0.0')?.sha256).toBe(v1.signed.manifest.sha256);
    expect(deployment.history().map((e) => e.type)).toEqual(['verified', 'loaded', 'command-accepted']);
    expect(deployment.history()[0]).toMatchObject({
      type: 'verified',
      approvedBy: 'biomed-lead',
      profiled: true,
    });
  });

  it('refuses tampered, forged, unapproved and foreign artifacts and profiles: nothing loads, the active version goes on', async () => {
    const runtime = stubRuntime();
    const deployment = deploymentWith(runtime);
    expect((await deployment.execute(deploy(v1, 'active'))).ok).toBe(true);
    const foreign = await release('9.0.0', { id: 'other-model' });
    const wide = await release('8.0.0', {
      spec: {
        ...SPEC,
        features: [
          { name: 'a', unit: '1' },
          { name: 'c', unit: '1' },
        ],
      },
    });
    const byMallory = await release('7.0.0', { signer: mallory });
    const flipped = v2.signed.bytes.slice();
    flipped[3] = (flipped[3] as number) ^ 0x10;
    const cases: [Record<string, unknown>, string, string][] = [
      [deploy({ ...v2, signed: { ...v2.signed, bytes: flipped } }), 'artifact', 'digest-mismatch'],
      [deploy(v2, 'shadow', { approval: undefined }), 'artifact', 'not-approved'],
      [deploy({ ...v2, approval: v3.approval }), 'artifact', 'approval-mismatch'],
      [deploy(byMallory), 'artifact', 'untrusted-signer'],
      [deploy({ ...v2, profile: v3.profile }), 'profile', 'model-mismatch'],
      [
        deploy({ ...v2, profile: signReferenceProfile(v2.profile.profile, mallory) }),
        'profile',
        'untrusted-signer',
      ],
      [deploy(foreign), 'spec', 'model-mismatch'],
      [deploy(wide), 'spec', 'feature-mismatch'],
      [deploy(v1), 'spec', 'duplicate-version'],
    ];
    for (const [command, subject, reason] of cases) {
      const before = deployment.history().length;
      const result = await deployment.execute(command);
      expect(result.ok, `${subject} ${reason}`).toBe(false);
      const events = deployment.history().slice(before);
      expect(events.map((e) => e.type)).toEqual(['refused', 'command-rejected']);
      expect(events[0]).toMatchObject({ type: 'refused', error: { subject, reason } });
      expect(
        isHealthItError(
          result.ok ? undefined : result.error,
          subject === 'spec' ? 'config/invalid' : 'security/unauthenticated',
        ),
      ).toBe(true);
    }
    expect(runtime.loads).toEqual(['1.0.0']);
    const scored = await lastValueFrom(of({ id: 'x', a: 7 }).pipe(deployment.score(features), toArray()));
    expect(scored).toMatchObject([{ type: 'score', version: '1.0.0', score: expect.closeTo(0.107, 6) }]);
  });

  it('accepts the artifact as JSON too, and refuses an invalid command with a ValidationError', async () => {
    const deployment = deploymentWith(stubRuntime());
    const { toBase64Url } = await import('@healthit/core');
    const json = { manifest: v1.signed.manifest, sig: v1.signed.sig, bytes: toBase64Url(v1.signed.bytes) };
    expect((await deployment.execute(deploy(v1, 'active', { artifact: json }))).ok).toBe(true);
    for (const bad of [
      { type: 'promote' },
      { type: 'launch', commandId: 'x' },
      deploy(v2, 'shadow', { extra: 1 }),
      null,
    ]) {
      const result = await deployment.execute(bad);
      expect(result.ok).toBe(false);
      expect(result.ok ? undefined : result.error).toBeInstanceOf(ValidationError);
    }
    const rollback = await deployment.execute({ type: 'rollback', commandId: 'r', reason: 'x' });
    expect(rollback.ok ? undefined : rollback.error.message).toMatch(/no version before 1\.0\.0 is kept/);
  });

  it('takes mode active only for the first version; promotion waits for minShadowScores', async () => {
    const runtime = stubRuntime();
    const deployment = deploymentWith(runtime, { promotion: { minShadowScores: 3 } });
    expect((await deployment.execute(deploy(v1, 'active'))).ok).toBe(true);
    const second = await deployment.execute(deploy(v2, 'active'));
    expect(second.ok ? undefined : second.error.message).toMatch(/deploy in shadow, then promote/);
    expect((await deployment.execute(deploy(v2))).ok).toBe(true);
    const early = await deployment.execute({ type: 'promote', commandId: 'p1' });
    expect(early.ok ? undefined : early.error.message).toMatch(/scored 0 inputs in shadow, 3 are required/);
    const wrong = await deployment.execute({ type: 'promote', commandId: 'p2', version: '3.0.0' });
    expect(wrong.ok).toBe(false);
    const inputs = [1, 2, 3].map((a) => ({ id: `i${a}`, a }));
    const events = await lastValueFrom(of(...inputs).pipe(deployment.score(features), toArray()));
    // Shadow first: the shadow's scores are on the shadow channel only; the active version's are acted on.
    expect(events.filter((e) => e.type === 'score').map((e) => e.version)).toEqual([
      '1.0.0',
      '1.0.0',
      '1.0.0',
    ]);
    expect(events.filter((e) => e.type === 'shadow-score').map((e) => e.version)).toEqual([
      '2.0.0',
      '2.0.0',
      '2.0.0',
    ]);
    expect((await deployment.execute({ type: 'promote', commandId: 'p3', version: '2.0.0' })).ok).toBe(true);
    expect(deployment.status()).toMatchObject({
      active: { version: '2.0.0' },
      previous: [{ version: '1.0.0' }],
    });
  });

  it('takes commands from a stream (the downlink), and close() disposes every loaded version', async () => {
    const runtime = stubRuntime();
    const deployment = deploymentWith(runtime);
    const downlink = new Subject<unknown>();
    const connection = deployment.connect(downlink);
    downlink.next(deploy(v1, 'active'));
    downlink.next(deploy(v2));
    downlink.next({ type: 'promote', commandId: 'p' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(deployment.status()).toMatchObject({
      active: { version: '2.0.0' },
      previous: [{ version: '1.0.0' }],
    });
    connection.unsubscribe();
    await deployment.close();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect([...runtime.disposed].sort()).toEqual(['1.0.0', '2.0.0']);
    const after = await deployment.execute({ type: 'discard-shadow', commandId: 'x' });
    expect(after.ok ? undefined : after.error.message).toMatch(/closed/);
  });

  it('bounds its command queue and its history', async () => {
    const deployment = deploymentWith(stubRuntime(), { maxQueuedCommands: 2, maxHistory: 5 });
    const results = await Promise.all([
      deployment.execute(deploy(v1, 'active')),
      deployment.execute(deploy(v2)),
      deployment.execute(deploy(v3)),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    const overflow = results[2];
    expect(overflow?.ok === false && isHealthItError(overflow.error, 'buffer/overflow')).toBe(true);
    const history = deployment.history();
    expect(history).toHaveLength(5);
    expect(history.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7]); // 8 events: the oldest 3 let go
  });
});

// ---- hot swap: marbles ----

describe('hot swap (marbles)', () => {
  it('routes each input to the version active when it arrives: in-flight inputs finish on the old version, later ones go to the new', async () => {
    const scheduler = newScheduler();
    const runtime = stubRuntime({ scheduler, durationMs: 10 });
    const deployment = deploymentWith(runtime);
    await deployment.execute(deploy(v1, 'active'));
    await deployment.execute(deploy(v2));
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a 9ms b 9ms c 49ms |', {
        a: { id: 'a', a: 1 },
        b: { id: 'b', a: 2 },
        c: { id: 'c', a: 3 },
      });
      scheduler.schedule(() => void deployment.execute({ type: 'promote', commandId: 'swap' }), 15);
      const out = source.pipe(deployment.score(features, { maxBatch: 2, maxWaitMs: 5, scheduler }));
      // a runs 5→15 and b (arrived at 10, both routed to 1.0.0 with 2.0.0 in shadow) 15→25;
      // the swap at 15 sends c (20) to 2.0.0 alone: it runs 25→35.
      expectObservable(compact(out)).toBe('15ms (AB) 6ms (CD) 6ms E 34ms |', {
        A: 'score a 1.0.0',
        B: 'shadow-score a 2.0.0',
        C: 'score b 1.0.0',
        D: 'shadow-score b 2.0.0',
        E: 'score c 2.0.0',
      });
    });
    // The models that computed the scores are the ones named.
    expect(runtime.ran.get('1.0.0')).toEqual([1, 2]);
    expect(runtime.ran.get('2.0.0')).toEqual([1, 2, 3]);
    expect(deployment.status()).toMatchObject({
      active: { version: '2.0.0', scored: 1 },
      previous: [{ version: '1.0.0', scored: 2 }],
    });
  });

  it('rolls back by itself when the active version fails too often; its inputs in flight still finish on it', async () => {
    const scheduler = newScheduler();
    const runtime = stubRuntime({ scheduler, durationMs: 5 });
    const deployment = deploymentWith(runtime, {
      autoRollback: { maxErrorRate: 0.5, window: 4, minSamples: 2 },
    });
    await deployment.execute(deploy(v1, 'active'));
    await deployment.execute(deploy(v2));
    await deployment.execute({ type: 'promote', commandId: 'p' });
    runtime.failing.add('2.0.0');
    scheduler.run(({ cold, expectObservable }) => {
      const values = Object.fromEntries(['a', 'b', 'c', 'd'].map((id, i) => [id, { id, a: i }]));
      const out = cold('a 9ms b 9ms c 9ms d 9ms |', values).pipe(
        deployment.score(features, { maxBatch: 1, maxWaitMs: 0, scheduler }),
      );
      expectObservable(compact(out)).toBe('5ms A 9ms B 9ms C 9ms D 4ms |', {
        A: 'error a 2.0.0',
        B: 'error b 2.0.0',
        C: 'score c 1.0.0',
        D: 'score d 1.0.0',
      });
    });
    const rolled = deployment.history().find((e) => e.type === 'rolled-back');
    expect(rolled).toMatchObject({ from: '2.0.0', to: '1.0.0', trigger: 'error-rate' });
    expect(rolled?.type === 'rolled-back' && rolled.reason).toMatch(/2 of the last 2 inputs/);
    await Promise.resolve();
    expect(runtime.disposed).toEqual(['2.0.0']);
    expect(deployment.status()).toMatchObject({
      active: { version: '1.0.0' },
      previous: [],
      shadow: undefined,
    });
  });

  it('promotes by itself once the shadow has scored minShadowScores inputs', async () => {
    const scheduler = newScheduler();
    const runtime = stubRuntime({ scheduler, durationMs: 5 });
    const deployment = deploymentWith(runtime, { promotion: { auto: true, minShadowScores: 2 } });
    await deployment.execute(deploy(v1, 'active'));
    await deployment.execute(deploy(v2));
    scheduler.run(({ cold, expectObservable }) => {
      const values = Object.fromEntries(['a', 'b', 'c', 'd'].map((id, i) => [id, { id, a: i }]));
      const out = cold('a 9ms b 9ms c 9ms d 9ms |', values).pipe(
        deployment.score(features, { maxBatch: 1, maxWaitMs: 0, scheduler }),
      );
      expectObservable(compact(out)).toBe('5ms (AB) 6ms (CD) 6ms E 9ms F 4ms |', {
        A: 'score a 1.0.0',
        B: 'shadow-score a 2.0.0',
        C: 'score b 1.0.0',
        D: 'shadow-score b 2.0.0',
        E: 'score c 2.0.0',
        F: 'score d 2.0.0',
      });
    });
    expect(deployment.history().find((e) => e.type === 'promoted' && e.trigger === 'auto')).toMatchObject({
      version: '2.0.0',
      previous: '1.0.0',
    });
  });

  it('with nothing deployed, an input is an error event (no-model) and the stream goes on', async () => {
    const deployment = deploymentWith(stubRuntime());
    const events = await lastValueFrom(of({ id: 'a', a: 1 }).pipe(deployment.score(features), toArray()));
    expect(events).toMatchObject([{ type: 'error', stage: 'no-model', version: undefined }]);
    const bad = await lastValueFrom(
      of({ id: 'b', a: 1 }).pipe(
        deployment.score(() => [1, 2, 3]),
        toArray(),
      ),
    );
    expect(bad[0]?.type === 'error' && bad[0].stage).toBe('no-model');
  });
});

// ---- exactly once under any interleaving: property ----

type Op =
  | { readonly kind: 'send'; readonly n: number }
  | { readonly kind: 'promote' | 'rollback' | 'deploy' | 'discard' | 'tick' };

describe('hot swap (property)', () => {
  let releases: Release[];
  beforeAll(async () => {
    releases = [v1, v2, v3];
    for (let k = 4; k <= 7; k++) releases.push(await release(`${k}.0.0`));
  });

  it('scores every input exactly once, by the version active at its arrival, shadow at most once; disposes only drained versions', async () => {
    const op = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({ kind: fc.constant('send' as const), n: fc.integer({ min: 1, max: 4 }) }),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom<Op>(
          { kind: 'promote' },
          { kind: 'rollback' },
          { kind: 'deploy' },
          { kind: 'discard' },
          { kind: 'tick' },
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        async (ops, maxBatch) => {
          const runtime = stubRuntime({ durationMs: 1 });
          const deployment = deploymentWith(runtime, { maxRetained: 2, autoRollback: false });
          await deployment.execute(deploy(releases[0] as Release, 'active'));
          // The test's own model of the deployment.
          let active: string | undefined = '1.0.0';
          let shadow: string | undefined;
          const previous: string[] = [];
          const retired: string[] = [];
          let next = 1;
          const expected = new Map<
            string,
            { active: string | undefined; shadow: string | undefined; a: number }
          >();
          const input$ = new Subject<Input>();
          const done = lastValueFrom(
            input$.pipe(deployment.score(features, { maxBatch, maxWaitMs: 0 }), toArray()),
          );
          let id = 0;
          for (const o of ops) {
            if (o.kind === 'send') {
              for (let k = 0; k < o.n; k++) {
                const input = { id: `i${id}`, a: id % 50 };
                expected.set(input.id, { active, shadow, a: input.a });
                id++;
                input$.next(input);
              }
            } else if (o.kind === 'promote') {
              const r = await deployment.execute({ type: 'promote', commandId: 'p' });
              expect(r.ok).toBe(shadow !== undefined);
              if (shadow !== undefined) {
                if (active !== undefined) previous.push(active);
                active = shadow;
                shadow = undefined;
                while (previous.length > 2) retired.push(previous.shift() as string);
              }
            } else if (o.kind === 'rollback') {
              const r = await deployment.execute({ type: 'rollback', commandId: 'r', reason: 'test' });
              expect(r.ok).toBe(previous.length > 0);
              if (previous.length > 0) {
                retired.push(active as string);
                active = previous.pop();
              }
            } else if (o.kind === 'deploy' && next < releases.length) {
              const r = await deployment.execute(deploy(releases[next++] as Release));
              expect(r.ok).toBe(true);
              if (shadow !== undefined) retired.push(shadow);
              shadow = `${next}.0.0`;
            } else if (o.kind === 'discard') {
              const r = await deployment.execute({ type: 'discard-shadow', commandId: 'd' });
              expect(r.ok).toBe(shadow !== undefined);
              if (shadow !== undefined) retired.push(shadow);
              shadow = undefined;
            } else if (o.kind === 'tick') {
              await new Promise((resolve) => setTimeout(resolve, 2));
            }
            expect(deployment.status().active?.version).toBe(active);
            expect(deployment.status().shadow?.version).toBe(shadow);
          }
          input$.complete();
          const events = await done;
          const verdicts = new Map<string, number>();
          const shadows = new Map<string, number>();
          for (const e of events) {
            const want = expected.get(e.input.id);
            expect(want).toBeDefined();
            if (want === undefined) continue;
            if (e.type === 'score' || e.type === 'error') {
              verdicts.set(e.input.id, (verdicts.get(e.input.id) ?? 0) + 1);
              expect(e.version).toBe(want.active);
              if (e.type === 'score')
                expect(Math.round((e.score - want.a / 1000) * 10)).toBe(major(want.active as string));
            } else {
              shadows.set(e.input.id, (shadows.get(e.input.id) ?? 0) + 1);
              expect(e.version).toBe(want.shadow);
              if (e.type === 'shadow-score')
                expect(Math.round((e.score - want.a / 1000) * 10)).toBe(major(want.shadow as string));
            }
          }
          for (const [inputId, want] of expected) {
            expect(verdicts.get(inputId), inputId).toBe(1);
            expect(shadows.get(inputId) ?? 0).toBe(want.shadow === undefined ? 0 : 1);
          }
          // Clean boundaries: in arrival order, each version's inputs are one unbroken run.
          const order = [...expected.values()].map((w) => w.active);
          const runs = order.filter((v, i) => i === 0 || v !== order[i - 1]);
          const swaps = ops.filter((o) => o.kind === 'promote' || o.kind === 'rollback').length;
          expect(runs.length).toBeLessThanOrEqual(swaps + 1);
          // Everything taken out of service was disposed once drained; nothing in service was.
          await new Promise((resolve) => setTimeout(resolve, 0));
          expect([...runtime.disposed].sort()).toEqual([...retired].sort());
          await deployment.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});

// ---- rollback on a monitoring alarm ----

describe('rollbackOnAlarm', () => {
  const alarm = (
    version: string,
    ts: number,
    kind: 'accuracy' | 'input-drift' = 'accuracy',
    auroc = 0.6,
  ): MonitorEvent => ({
    type: 'alarm',
    alarm: {
      kind,
      raised: true,
      version,
      role: 'active',
      ts,
      finding: {
        kind: 'accuracy',
        auroc,
        brier: 0.2,
        minAuroc: 0.85,
        maxBrier: 0.1,
        labelled: 300,
        positives: 40,
      },
    },
  });
  const report = (version: string, auroc: number): MonitorEvent => ({
    type: 'report',
    report: {
      ts: 0,
      modelId: 'risk',
      active: {
        version,
        role: 'active',
        accuracy: { labelled: 500, positives: 60, auroc, brier: 0.1, minAuroc: 0.8, maxBrier: 0.2 },
        inputDrift: undefined,
        predictionDrift: undefined,
        alarms: [],
      },
      shadow: undefined,
      counts: {
        predictions: 0,
        labels: 0,
        joined: 0,
        unlabelled: 0,
        pending: 0,
        dropped: {
          'pending-full': 0,
          expired: 0,
          unmatched: 0,
          duplicate: 0,
          invalid: 0,
          'untracked-version': 0,
        },
      },
    },
  });

  it('rolls back only to a version that did better: a new version below its own promise but above the old one stays', async () => {
    let now = 0;
    const deployment = deploymentWith(stubRuntime(), { clock: { now: () => now } });
    await deployment.execute(deploy(v1, 'active'));
    await deployment.execute(deploy(v2));
    now = 1_000;
    await deployment.execute({ type: 'promote', commandId: 'p' });
    const op = () => rollbackOnAlarm(deployment, { probationMs: 3_600_000 });
    // 1.0.0 did 0.74 on this population; 2.0.0 alarms at 0.84 (below its own 0.85 floor): it stays.
    const kept = await lastValueFrom(
      of(report('1.0.0', 0.74), alarm('2.0.0', 2_000, 'accuracy', 0.84)).pipe(op(), toArray()),
    );
    expect(kept).toEqual([]);
    expect(deployment.status().active?.version).toBe('2.0.0');
    // At 0.70 it is worse than 1.0.0 was: rolled back.
    const rolled = await lastValueFrom(
      of(report('1.0.0', 0.74), alarm('2.0.0', 3_000, 'accuracy', 0.7)).pipe(op(), toArray()),
    );
    expect(rolled.map((r) => r.ok)).toEqual([true]);
    expect(deployment.status().active?.version).toBe('1.0.0');
    const event = deployment.history().find((e) => e.type === 'rolled-back');
    expect(event?.type === 'rolled-back' && event.reason).toMatch(/rolling AUROC 0\.700; 1\.0\.0 had 0\.740/);
  });

  it('rolls a version back on an accuracy alarm during its probation, not after it, and not on drift', async () => {
    let now = 0;
    const deployment = deploymentWith(stubRuntime(), { clock: { now: () => now } });
    await deployment.execute(deploy(v1, 'active'));
    await deployment.execute(deploy(v2));
    now = 1_000;
    await deployment.execute({ type: 'promote', commandId: 'p' });
    const late = await lastValueFrom(
      of(alarm('2.0.0', 1_000 + 3_600_001), alarm('2.0.0', 2_000, 'input-drift'), alarm('1.0.0', 2_000)).pipe(
        rollbackOnAlarm(deployment, { probationMs: 3_600_000 }),
        toArray(),
      ),
    );
    expect(late).toEqual([]);
    const results = await lastValueFrom(
      of(alarm('2.0.0', 5_000)).pipe(rollbackOnAlarm(deployment, { probationMs: 3_600_000 }), toArray()),
    );
    expect(results.map((r) => r.ok)).toEqual([true]);
    expect(
      deployment
        .history()
        .find((e): e is DeploymentEvent & { type: 'rolled-back' } => e.type === 'rolled-back'),
    ).toMatchObject({
      from: '2.0.0',
      to: '1.0.0',
      trigger: 'alarm',
    });
    expect(() => rollbackOnAlarm(deployment, { probationMs: -1 })).toThrow(RangeError);
  });
});
