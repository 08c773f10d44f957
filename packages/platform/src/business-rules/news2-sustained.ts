import { HealthItError } from '@healthit/core';
import type { Subscription } from 'rxjs';
import type { News2ScoreEvent } from './inputs.js';
import {
  BoundedTable,
  inPatientScope,
  MAX_RULE_ALERT_READING_IDS,
  type RuleContext,
  type RuleRuntime,
  raiseRuleAlert,
} from './runtime.js';
import type { News2SustainedRule } from './spec.js';

interface PatientEpisode {
  /** Score time of the last event seen. */
  lastTs: number;
  /** When the score reached the threshold (undefined: below it). */
  startTs: number | undefined;
  latest: number;
  readingIds: string[];
  timer: Subscription | undefined;
  /** The alert raised for this episode, once it was. */
  alertId: string | undefined;
}

/**
 * Runs a `news2-sustained` rule: per patient, an episode starts at the `ts` of the first score ≥
 * `minScore` (clamped to now) and raises one alert when it has lasted `forMinutes` on the
 * scheduler's clock with no score below the threshold and no `news2-incomplete` in between; such
 * an event ends the episode (a `rule-cleared` if it had fired). Scores older than the patient's
 * last one are refused (`input-rejected`).
 * @internal
 */
export function news2SustainedRuntime(rule: News2SustainedRule, ctx: RuleContext): RuleRuntime {
  const forMs = rule.forMinutes * 60_000;
  const patients = new BoundedTable<PatientEpisode>(ctx.maxTracked, (patientId, e) => {
    e.timer?.unsubscribe();
    ctx.emit({ type: 'state-evicted', ts: ctx.clock.now(), ruleId: rule.id, subject: patientId });
  });

  const end = (patientId: string, e: PatientEpisode): void => {
    e.timer?.unsubscribe();
    e.timer = undefined;
    if (e.alertId !== undefined) {
      ctx.emit({
        type: 'rule-cleared',
        ts: ctx.clock.now(),
        ruleId: rule.id,
        subject: patientId,
        alertId: e.alertId,
      });
    }
    e.startTs = undefined;
    e.alertId = undefined;
    e.readingIds = [];
  };

  const fire = (event: News2ScoreEvent, e: PatientEpisode): void => {
    e.timer = undefined;
    const minutes = rule.forMinutes;
    const alert = raiseRuleAlert(ctx, rule, {
      subject: event.patientId,
      patientId: event.patientId,
      value: e.latest,
      message: `NEWS2 ${e.latest} for ${event.patientId}: at least ${rule.minScore} for ${minutes} min (since ${new Date(e.startTs ?? 0).toISOString()})`,
      readingIds: e.readingIds,
    });
    e.alertId = alert.id;
  };

  return {
    onNews2(event) {
      if (!inPatientScope(rule.scope, event.patientId, ctx)) return;
      const e = patients.touch(event.patientId, () => ({
        lastTs: Number.NEGATIVE_INFINITY,
        startTs: undefined,
        latest: 0,
        readingIds: [],
        timer: undefined,
        alertId: undefined,
      }));
      if (event.ts < e.lastTs) {
        ctx.emit({
          type: 'input-rejected',
          ts: ctx.clock.now(),
          stream: 'news2',
          ruleId: rule.id,
          error: new HealthItError(
            'state/invalid',
            `NEWS2 event for ${event.patientId} at ${event.ts} is older than the last one (${e.lastTs}); ignored`,
            { detail: { patientId: event.patientId, ts: event.ts, lastTs: e.lastTs } },
          ),
          input: event,
        });
        return;
      }
      e.lastTs = event.ts;
      if (event.type === 'news2-incomplete' || event.score < rule.minScore) {
        if (event.type === 'news2-score') e.latest = event.score;
        if (e.startTs !== undefined) end(event.patientId, e);
        return;
      }
      e.latest = event.score;
      for (const id of event.readingIds ?? []) if (!e.readingIds.includes(id)) e.readingIds.push(id);
      if (e.readingIds.length > MAX_RULE_ALERT_READING_IDS)
        e.readingIds.splice(0, e.readingIds.length - MAX_RULE_ALERT_READING_IDS);
      if (e.startTs !== undefined) return; // running (timer pending) or already fired for this episode
      const now = ctx.clock.now();
      e.startTs = Math.min(event.ts, now);
      e.timer = ctx.scheduler.schedule(() => fire(event, e), Math.max(0, e.startTs + forMs - now));
    },
    dispose() {
      for (const e of patients.values()) e.timer?.unsubscribe();
      patients.clear();
    },
  };
}
