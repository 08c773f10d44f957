import { HealthItError, isHealthItError, type Reading, toCanonicalUnit } from '@healthit/core';
import {
  BoundedTable,
  inPatientScope,
  type RuleContext,
  type RuleRuntime,
  raiseRuleAlert,
} from './runtime.js';
import type { WeightGainRule } from './spec.js';

/** Stored weights read per evaluation at most (a window holds far fewer in practice). */
export const WEIGHT_HISTORY_LIMIT = 10_000;

interface PatientState {
  /** The alert of the current gain episode, once raised. */
  alertId: string | undefined;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Runs a `weight-gain` rule: when a body weight of a patient tagged `conditionTag` arrives, the
 * patient's weights of the preceding `windowDays` are read from the `ReadingStore` (the new reading
 * counted whether already stored or not) and the gain is the new weight minus the lowest earlier
 * one. A gain above `gainKg` raises one alert per episode; a later weight within the limit ends it
 * (`rule-cleared`). Evaluations run one at a time, in arrival order; at most `maxPending` wait
 * (more: `input-rejected` with `buffer/overflow`, reject-newest). A failing store or
 * `conditionsOf` is an `evaluation-failed` event.
 * @internal
 */
export function weightGainRuntime(rule: WeightGainRule, ctx: RuleContext): RuleRuntime {
  const windowMs = rule.windowDays * 86_400_000;
  const store = ctx.store;
  const conditionsOf = ctx.conditionsOf;
  if (store === undefined || conditionsOf === undefined) {
    throw new HealthItError(
      'config/invalid',
      `rule "${rule.id}": weight-gain needs a store and conditionsOf`,
    );
  }
  const patients = new BoundedTable<PatientState>(ctx.maxTracked, (patientId) =>
    ctx.emit({ type: 'state-evicted', ts: ctx.clock.now(), ruleId: rule.id, subject: patientId }),
  );
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  let disposed = false;

  const evaluate = async (r: Reading & { patientId: NonNullable<Reading['patientId']> }): Promise<void> => {
    const tags = await conditionsOf(r.patientId);
    if (disposed || !tags.includes(rule.conditionTag)) return;
    const kg = toCanonicalUnit('body-weight', r.value, r.unit);
    const history = await store.query({
      from: r.ts - windowMs,
      to: r.ts + 1,
      patientId: r.patientId,
      metric: 'body-weight',
      limit: WEIGHT_HISTORY_LIMIT,
    });
    if (disposed) return;
    let lowest: { kg: number; id: string } | undefined;
    for (const h of history) {
      if (h.id === r.id || h.ts > r.ts || h.quality === 'bad') continue;
      const hKg = toCanonicalUnit('body-weight', h.value, h.unit);
      if (lowest === undefined || hKg < lowest.kg) lowest = { kg: hKg, id: h.id };
    }
    const state = patients.touch(r.patientId, () => ({ alertId: undefined }));
    const gain = lowest === undefined ? 0 : kg - lowest.kg;
    if (lowest !== undefined && gain > rule.gainKg) {
      if (state.alertId !== undefined) return; // one alert per episode
      const alert = raiseRuleAlert(ctx, rule, {
        subject: r.patientId,
        patientId: r.patientId,
        metric: 'body-weight',
        value: round(gain),
        message: `Body weight of ${r.patientId} up ${round(gain)} kg within ${rule.windowDays} days (${round(lowest.kg)} → ${round(kg)} kg; limit ${rule.gainKg} kg, ${rule.conditionTag})`,
        readingIds: [lowest.id, r.id],
      });
      state.alertId = alert.id;
    } else if (state.alertId !== undefined) {
      ctx.emit({
        type: 'rule-cleared',
        ts: ctx.clock.now(),
        ruleId: rule.id,
        subject: r.patientId,
        alertId: state.alertId,
      });
      state.alertId = undefined;
    }
  };

  return {
    onReading(r) {
      if (r.metric !== 'body-weight' || r.patientId === undefined || r.quality === 'bad') return;
      if (!inPatientScope(rule.scope, r.patientId, ctx)) return;
      if (pending >= ctx.maxPending) {
        ctx.emit({
          type: 'input-rejected',
          ts: ctx.clock.now(),
          stream: 'readings',
          ruleId: rule.id,
          error: new HealthItError(
            'buffer/overflow',
            `rule "${rule.id}": ${pending} weight evaluations are waiting; reading ${r.id} was not evaluated`,
            { detail: { maxPending: ctx.maxPending, readingId: r.id } },
          ),
          input: r,
        });
        return;
      }
      pending += 1;
      const reading = r as Reading & { patientId: NonNullable<Reading['patientId']> };
      tail = tail.then(async () => {
        try {
          await evaluate(reading);
        } catch (e) {
          if (disposed) return;
          ctx.emit({
            type: 'evaluation-failed',
            ts: ctx.clock.now(),
            ruleId: rule.id,
            error: isHealthItError(e)
              ? e
              : new HealthItError(
                  'store/query-failed',
                  `rule "${rule.id}": evaluating ${r.id} failed: ${String(e)}`,
                  {
                    cause: e,
                  },
                ),
            input: r,
          });
        } finally {
          pending -= 1;
        }
      });
    },
    dispose() {
      disposed = true;
      patients.clear();
    },
  };
}
