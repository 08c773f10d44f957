import { HealthItError, ValidationError } from '@healthit/core';
import type { z } from 'zod';
import { ModelProfile, PlacementConstraints } from './facts.js';

/** Where a model runs: at the gateway, in the platform, or screened at the edge and confirmed in the platform. */
export type Placement = 'edge' | 'cloud' | 'split';

/** The placements, in the order {@link decidePlacement} prefers them. */
export const PLACEMENTS: readonly Placement[] = ['edge', 'split', 'cloud'];

/**
 * The rules, each a check of one placement against declared facts:
 *
 * | rule | placement | passes when |
 * | --- | --- | --- |
 * | `E1-fleet-data` | edge | the model does not need data of many sites (`model.needsFleetData`) |
 * | `E2-history` | edge | the gateway keeps the history the model reads (`model.inputWindowMs` ≤ `gateway.historyMs`) |
 * | `E3-memory` | edge | the model fits in the gateway's free memory (`model.memoryBytes` or 2 × `sizeBytes` ≤ `gateway.freeMemoryBytes`) |
 * | `E4-compute` | edge | `inferencesPerSecond` × edge ms ≤ (1 − `gateway.load`) × `headroom` × 1000 ms |
 * | `E5-latency` | edge | edge ms ÷ (1 − `gateway.load`) ≤ `latencyBudgetMs` |
 * | `C1-privacy` | cloud | raw data may leave the site (`privacy.rawDataMustStayOnSite` false) |
 * | `C2-bandwidth` | cloud | `dataBytesPerSecond` × 8 ≤ `uplink.bandwidthBitsPerSecond` × `headroom` |
 * | `C3-latency` | cloud | `uplink.rttMs` + upload of one input + cloud ms ≤ `latencyBudgetMs` |
 * | `C4-availability` | cloud | `uplink.availability` ≥ `requiredAvailability` |
 * | `S1-privacy` | split | as C1: candidates' raw data leave the site |
 * | `S2-screen-memory`, `S3-screen-compute`, `S4-screen-latency` | split | as E3, E4, E5 for `split.screen` |
 * | `S5-bandwidth` | split | `dataBytesPerSecond` × `split.candidateFraction` × 8 ≤ bandwidth × `headroom` |
 * | `S6-latency` | split | screen edge ms + `uplink.rttMs` + upload of one input + cloud ms ≤ `latencyBudgetMs` |
 * | `S7-availability` | split | as C4 |
 *
 * Edge ms is `model.edgeMsPerInference`, else `flopsPerInference` ÷ `gateway.flopsPerSecond`;
 * cloud ms is `cloudMsPerInference`, else `flopsPerInference` ÷ `cloudFlopsPerSecond`, else 0.
 * Latency rules pass when no `latencyBudgetMs` is declared; availability rules when no
 * `requiredAvailability` is.
 */
export type PlacementRule =
  | 'E1-fleet-data'
  | 'E2-history'
  | 'E3-memory'
  | 'E4-compute'
  | 'E5-latency'
  | 'C1-privacy'
  | 'C2-bandwidth'
  | 'C3-latency'
  | 'C4-availability'
  | 'S1-privacy'
  | 'S2-screen-memory'
  | 'S3-screen-compute'
  | 'S4-screen-latency'
  | 'S5-bandwidth'
  | 'S6-latency'
  | 'S7-availability';

/** One check of one placement: which rule, the facts it read, whether it passed, and why in words. */
export interface PlacementReason {
  /** The rule checked (see {@link PlacementRule} for what each one compares). */
  readonly rule: PlacementRule;
  /** The placement the rule is a check of: `edge` (E rules), `cloud` (C rules) or `split` (S rules). */
  readonly placement: Placement;
  /** True when the facts satisfy the rule. */
  readonly passed: boolean;
  /** The declared facts the rule compared, as paths into `model` and `constraints` (e.g. `gateway.freeMemoryBytes`). */
  readonly facts: readonly string[];
  /** The comparison with its numbers, e.g. `needs 400 MB, 256 MB free`. */
  readonly message: string;
}

/** The figures the rules computed, for dashboards and for the reasons' numbers. */
export interface PlacementEstimates {
  /** One inference at the gateway, ms (undefined when neither measured nor estimable). */
  readonly edgeMsPerInference: number;
  /** Share of the gateway core the model would use, 0..∞. */
  readonly edgeCpuShare: number;
  /** One inference in the platform, ms. */
  readonly cloudMsPerInference: number;
  /** Share of the uplink cloud placement would use, 0..∞. */
  readonly cloudUplinkShare: number;
  /** Arrival-to-result time of cloud placement, ms. */
  readonly cloudLatencyMs: number;
}

/** What {@link decidePlacement} decided, and why. */
export interface PlacementDecision {
  /** Where the model runs: the first of `edge`, `split`, `cloud` whose rules all pass. */
  readonly placement: Placement;
  /**
   * The reasons, in rule order: the failed checks of every placement preferred over the chosen one
   * (why not there), then every check of the chosen placement (why there).
   */
  readonly reasons: readonly PlacementReason[];
  /** Every check of every placement considered, passed or not. */
  readonly checks: readonly PlacementReason[];
  /** The times and shares the rules computed (per-inference ms, CPU and uplink shares, cloud latency). */
  readonly estimates: PlacementEstimates;
}

/** No placement satisfies the declared facts: `config/invalid`, with every failed check. */
export class PlacementInfeasibleError extends HealthItError {
  /** The error's class name: always `PlacementInfeasibleError`. */
  override readonly name = 'PlacementInfeasibleError';
  /** The `id` of the model profile no placement fits. */
  readonly modelId: string;
  /** Every failed check of every placement. */
  readonly reasons: readonly PlacementReason[];

  /**
   * Creates the error (code `config/invalid`), its message listing every failed check.
   * @param modelId - The `id` of the model profile no placement fits.
   * @param reasons - Every failed check of every placement considered.
   */
  constructor(modelId: string, reasons: readonly PlacementReason[]) {
    super(
      'config/invalid',
      `No placement of model ${modelId} satisfies the declared facts: ${reasons
        .map((r) => `${r.placement} fails ${r.rule} (${r.message})`)
        .join(
          '; ',
        )}. Change a fact (a smaller model, a screening model for a split, more bandwidth, a looser budget) or the use case.`,
      { detail: { modelId, reasons: reasons.map((r) => ({ ...r })) } },
    );
    this.modelId = modelId;
    this.reasons = reasons;
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ValidationError.fromZod(name, parsed.error, 'decidePlacement');
  return parsed.data;
}

const MB = 1024 * 1024;
const fmtBytes = (b: number) => (b >= MB ? `${(b / MB).toFixed(1)} MB` : `${(b / 1024).toFixed(1)} KB`);
function fmtMs(ms: number): string {
  if (ms >= 2 * 86_400_000) return `${Number((ms / 86_400_000).toPrecision(3))} d`;
  if (ms >= 3_600_000) return `${Number((ms / 3_600_000).toPrecision(3))} h`;
  if (ms >= 60_000) return `${Number((ms / 60_000).toPrecision(3))} min`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${Number(ms.toPrecision(3))} ms`;
}
const fmtBps = (bps: number) =>
  bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(1)} kbit/s`;
const pct = (x: number) => `${Number((x * 100).toFixed(3))} %`;

/** Edge ms of a profile, and the facts it came from. */
function edgeMs(model: ModelProfile, c: PlacementConstraints, at: string): { ms: number; facts: string[] } {
  if (model.edgeMsPerInference !== undefined)
    return { ms: model.edgeMsPerInference, facts: [`${at}.edgeMsPerInference`] };
  return {
    ms: ((model.flopsPerInference as number) / (c.gateway.flopsPerSecond as number)) * 1000,
    facts: [`${at}.flopsPerInference`, 'gateway.flopsPerSecond'],
  };
}

function cloudMs(
  model: ModelProfile,
  c: PlacementConstraints,
): { ms: number; facts: string[]; note: string } {
  if (model.cloudMsPerInference !== undefined) {
    return { ms: model.cloudMsPerInference, facts: ['model.cloudMsPerInference'], note: '' };
  }
  if (model.flopsPerInference !== undefined && c.cloudFlopsPerSecond !== undefined) {
    return {
      ms: (model.flopsPerInference / c.cloudFlopsPerSecond) * 1000,
      facts: ['model.flopsPerInference', 'cloudFlopsPerSecond'],
      note: '',
    };
  }
  return { ms: 0, facts: [], note: ' (cloud compute time not declared: counted as 0)' };
}

/** The edge checks of one model profile (the model itself, or a split's screen). */
function edgeChecks(
  model: ModelProfile,
  c: PlacementConstraints,
  headroom: number,
  at: 'model' | 'split.screen',
  placement: Placement,
  rules: { memory: PlacementRule; compute: PlacementRule; latency: PlacementRule },
): { reasons: PlacementReason[]; ms: number; share: number } {
  const reasons: PlacementReason[] = [];
  const memory = model.memoryBytes ?? 2 * model.sizeBytes;
  reasons.push({
    rule: rules.memory,
    placement,
    passed: memory <= c.gateway.freeMemoryBytes,
    facts: [
      model.memoryBytes === undefined ? `${at}.sizeBytes` : `${at}.memoryBytes`,
      'gateway.freeMemoryBytes',
    ],
    message: `${model.id} needs ${fmtBytes(memory)}${model.memoryBytes === undefined ? ' (2 × its size)' : ''}, the gateway has ${fmtBytes(c.gateway.freeMemoryBytes)} free`,
  });
  const { ms, facts } = edgeMs(model, c, at);
  const share = (c.inferencesPerSecond * ms) / 1000;
  const available = (1 - c.gateway.load) * headroom;
  reasons.push({
    rule: rules.compute,
    placement,
    passed: share <= available,
    facts: [
      ...facts,
      'inferencesPerSecond',
      'gateway.load',
      ...(c.headroom === undefined ? [] : ['headroom']),
    ],
    message: `${c.inferencesPerSecond}/s × ${fmtMs(ms)} uses ${pct(share)} of the gateway core, ${pct(available)} is available (load ${pct(c.gateway.load)}, headroom ${pct(headroom)})`,
  });
  const budget = c.latencyBudgetMs;
  const queued = c.gateway.load < 1 ? ms / (1 - c.gateway.load) : Number.POSITIVE_INFINITY;
  reasons.push({
    rule: rules.latency,
    placement,
    passed: budget === undefined || queued <= budget,
    facts: budget === undefined ? ['latencyBudgetMs'] : [...facts, 'gateway.load', 'latencyBudgetMs'],
    message:
      budget === undefined
        ? 'no latency budget declared'
        : `${fmtMs(queued)} per inference at load ${pct(c.gateway.load)}, budget ${fmtMs(budget)}`,
  });
  return { reasons, ms, share };
}

function privacyCheck(c: PlacementConstraints, rule: PlacementRule, placement: Placement): PlacementReason {
  const stays = c.privacy.rawDataMustStayOnSite;
  return {
    rule,
    placement,
    passed: !stays,
    facts: ['privacy.rawDataMustStayOnSite'],
    message: stays
      ? 'raw data must stay on site, and this placement sends it to the platform'
      : 'raw data may leave the site',
  };
}

function availabilityCheck(
  c: PlacementConstraints,
  rule: PlacementRule,
  placement: Placement,
): PlacementReason {
  const required = c.requiredAvailability;
  return {
    rule,
    placement,
    passed: required === undefined || c.uplink.availability >= required,
    facts:
      required === undefined ? ['requiredAvailability'] : ['uplink.availability', 'requiredAvailability'],
    message:
      required === undefined
        ? 'no availability requirement declared'
        : `results need the uplink, which is up ${pct(c.uplink.availability)} of the time; ${pct(required)} is required`,
  };
}

function uplinkChecks(
  c: PlacementConstraints,
  headroom: number,
  placement: Placement,
  fraction: number,
  before: { ms: number; facts: string[]; label: string },
  cloud: { ms: number; facts: string[]; note: string },
  rules: { bandwidth: PlacementRule; latency: PlacementRule },
): { reasons: PlacementReason[]; share: number; latency: number } {
  const bits = c.dataBytesPerSecond * fraction * 8;
  const capacity = c.uplink.bandwidthBitsPerSecond * headroom;
  const share = bits / c.uplink.bandwidthBitsPerSecond;
  const fractionFacts = fraction === 1 ? [] : ['split.candidateFraction'];
  const bandwidth: PlacementReason = {
    rule: rules.bandwidth,
    placement,
    passed: bits <= capacity,
    facts: [
      'dataBytesPerSecond',
      ...fractionFacts,
      'uplink.bandwidthBitsPerSecond',
      ...(c.headroom === undefined ? [] : ['headroom']),
    ],
    message: `uploads ${fmtBps(bits)}${fraction === 1 ? '' : ` (${pct(fraction)} of ${fmtBps(c.dataBytesPerSecond * 8)})`}, the uplink carries ${fmtBps(capacity)} with headroom`,
  };
  const bytesPerInference = c.inferencesPerSecond > 0 ? c.dataBytesPerSecond / c.inferencesPerSecond : 0;
  const upload = ((bytesPerInference * 8) / c.uplink.bandwidthBitsPerSecond) * 1000;
  const latency = before.ms + c.uplink.rttMs + upload + cloud.ms;
  const budget = c.latencyBudgetMs;
  const latencyReason: PlacementReason = {
    rule: rules.latency,
    placement,
    passed: budget === undefined || latency <= budget,
    facts:
      budget === undefined
        ? ['latencyBudgetMs']
        : [
            ...before.facts,
            'uplink.rttMs',
            'dataBytesPerSecond',
            'inferencesPerSecond',
            ...cloud.facts,
            'latencyBudgetMs',
          ],
    message:
      budget === undefined
        ? 'no latency budget declared'
        : `${before.label}${fmtMs(c.uplink.rttMs)} round trip + ${fmtMs(upload)} upload + ${fmtMs(cloud.ms)} cloud${cloud.note} = ${fmtMs(latency)}, budget ${fmtMs(budget)}`,
  };
  return { reasons: [bandwidth, latencyReason], share, latency };
}

/**
 * Decides where a model runs — at the gateway (`edge`), in the platform (`cloud`), or screened at
 * the edge with only candidates confirmed in the platform (`split`) — from declared facts, by fixed
 * rules (see {@link PlacementRule}), and says why.
 *
 * 1. `edge` when every edge rule passes: the lowest latency, works through uplink outages, raw data
 *    stays on site, no upload.
 * 2. else `split` when a screening model is declared and every split rule passes: most data stays
 *    on site and the uplink carries only candidates.
 * 3. else `cloud` when every cloud rule passes.
 * 4. else no placement fits: {@link PlacementInfeasibleError} with every failed check.
 *
 * Deterministic: the same facts always give the same decision and reasons (no clock, no
 * randomness, no I/O).
 *
 * @throws {ValidationError} when the model profile or constraints are malformed (each issue with
 *   its path), or edge time can be neither read nor estimated (no `edgeMsPerInference`, and not both
 *   `flopsPerInference` and `gateway.flopsPerSecond`);
 * @throws {PlacementInfeasibleError} `config/invalid` when no placement satisfies the facts.
 * @example
 * ```ts
 * const { placement, reasons } = decidePlacement(
 *   { id: 'deterioration-risk', sizeBytes: 1_100, edgeMsPerInference: 0.02 },
 *   { latencyBudgetMs: 1000, inferencesPerSecond: 30, dataBytesPerSecond: 3_000,
 *     privacy: { rawDataMustStayOnSite: false },
 *     gateway: { freeMemoryBytes: 256 * 2 ** 20, load: 0.3 },
 *     uplink: { bandwidthBitsPerSecond: 2e6, rttMs: 80, availability: 0.99 },
 *     requiredAvailability: 0.9999 },
 * ); // 'edge', every edge rule passed, each citing its facts
 * ```
 */
export function decidePlacement(model: ModelProfile, constraints: PlacementConstraints): PlacementDecision {
  const m = parse(ModelProfile, model, 'ModelProfile');
  const c = parse(PlacementConstraints, constraints, 'PlacementConstraints');
  const needsEdgeTime = (p: ModelProfile, at: string) => {
    if (
      p.edgeMsPerInference === undefined &&
      (p.flopsPerInference === undefined || c.gateway.flopsPerSecond === undefined)
    ) {
      throw new ValidationError(
        'PlacementConstraints',
        [
          {
            path: `${at}.edgeMsPerInference`,
            message: `${p.id}: declare edgeMsPerInference (measured), or flopsPerInference with gateway.flopsPerSecond`,
            code: 'custom',
          },
        ],
        { source: 'decidePlacement' },
      );
    }
  };
  needsEdgeTime(m, 'model');
  if (c.split !== undefined) needsEdgeTime(c.split.screen, 'split.screen');
  const headroom = c.headroom ?? 0.7;

  // Edge.
  const edge: PlacementReason[] = [
    {
      rule: 'E1-fleet-data',
      placement: 'edge',
      passed: m.needsFleetData !== true,
      facts: ['model.needsFleetData'],
      message: m.needsFleetData
        ? 'the model reads data of many sites or patients; a gateway holds only its own'
        : 'the model reads this site’s data only',
    },
  ];
  const window = m.inputWindowMs ?? 0;
  const history = c.gateway.historyMs;
  edge.push({
    rule: 'E2-history',
    placement: 'edge',
    passed: history === undefined || window <= history,
    facts: ['model.inputWindowMs', 'gateway.historyMs'],
    message:
      history === undefined
        ? 'the gateway keeps unbounded history'
        : `the model reads ${fmtMs(window)} of history, the gateway keeps ${fmtMs(history)}`,
  });
  const edgeRun = edgeChecks(m, c, headroom, 'model', 'edge', {
    memory: 'E3-memory',
    compute: 'E4-compute',
    latency: 'E5-latency',
  });
  edge.push(...edgeRun.reasons);

  // Cloud.
  const cloudTime = cloudMs(m, c);
  const cloudUplink = uplinkChecks(c, headroom, 'cloud', 1, { ms: 0, facts: [], label: '' }, cloudTime, {
    bandwidth: 'C2-bandwidth',
    latency: 'C3-latency',
  });
  const cloud: PlacementReason[] = [
    privacyCheck(c, 'C1-privacy', 'cloud'),
    ...cloudUplink.reasons,
    availabilityCheck(c, 'C4-availability', 'cloud'),
  ];

  // Split.
  let split: PlacementReason[] = [];
  if (c.split !== undefined) {
    const screen = edgeChecks(c.split.screen, c, headroom, 'split.screen', 'split', {
      memory: 'S2-screen-memory',
      compute: 'S3-screen-compute',
      latency: 'S4-screen-latency',
    });
    const splitUplink = uplinkChecks(
      c,
      headroom,
      'split',
      c.split.candidateFraction,
      {
        ms: screen.ms,
        facts: edgeMs(c.split.screen, c, 'split.screen').facts,
        label: `${fmtMs(screen.ms)} screen + `,
      },
      cloudTime,
      { bandwidth: 'S5-bandwidth', latency: 'S6-latency' },
    );
    split = [
      privacyCheck(c, 'S1-privacy', 'split'),
      ...screen.reasons,
      ...splitUplink.reasons,
      availabilityCheck(c, 'S7-availability', 'split'),
    ];
  }

  const estimates: PlacementEstimates = {
    edgeMsPerInference: edgeRun.ms,
    edgeCpuShare: edgeRun.share,
    cloudMsPerInference: cloudTime.ms,
    cloudUplinkShare: cloudUplink.share,
    cloudLatencyMs: cloudUplink.latency,
  };
  const checks = [...edge, ...split, ...cloud];
  const order: [Placement, PlacementReason[]][] = [
    ['edge', edge],
    ...(c.split === undefined ? [] : ([['split', split]] as [Placement, PlacementReason[]][])),
    ['cloud', cloud],
  ];
  const ruledOut: PlacementReason[] = [];
  for (const [placement, reasons] of order) {
    if (reasons.every((r) => r.passed)) {
      return Object.freeze({ placement, reasons: [...ruledOut, ...reasons], checks, estimates });
    }
    ruledOut.push(...reasons.filter((r) => !r.passed));
  }
  throw new PlacementInfeasibleError(m.id, ruledOut);
}
