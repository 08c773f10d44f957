import type { Reading } from '@healthit/core';
import { breaches, DEFAULT_MAX_GAP_SECONDS, MAX_ALERT_READING_IDS, type ThresholdRuleSpec } from './spec.js';

/** A series' episode for one rule: breaching but not yet long enough, or raised. */
export interface Episode {
  /**
   * `pending`: breaching, not yet for `forSeconds`; `raised`: the alert was raised, not yet
   * cleared.
   */
  phase: 'pending' | 'raised';
  /** Timestamp of the first reading of the continuous breach. */
  startTs: number;
  /** Timestamp of the last reading seen. */
  lastTs: number;
  /** Ids of the episode's readings up to the raise, the most recent {@link MAX_ALERT_READING_IDS}. */
  readingIds: string[];
  /** The raised alert's id. */
  alertId?: string;
}

/** What one reading does to an episode. */
export type EpisodeStep =
  | {
      /** Nothing to report: the episode started, went on, ended while pending, or is unchanged. */
      readonly kind: 'none';
      /** The episode after the reading, or `undefined` when there is none (any more). */
      readonly next: Episode | undefined;
    }
  | {
      /** The episode has just been raised by this reading: raise its alert. */
      readonly kind: 'raise';
      /** The raised episode (set its `alertId`). */
      readonly next: Episode;
    }
  | {
      /** A raised episode has just cleared by this reading. */
      readonly kind: 'clear';
      /** Always `undefined`: the episode is over. */
      readonly next: undefined;
      /** The id of the alert the episode raised (empty when none was set). */
      readonly alertId: string;
    };

function start(r: Reading): Episode {
  return { phase: 'pending', startTs: r.ts, lastTs: r.ts, readingIds: [r.id] };
}

function promoteIfLongEnough(rule: ThresholdRuleSpec, e: Episode): EpisodeStep {
  if (e.lastTs - e.startTs >= (rule.forSeconds ?? 0) * 1000) {
    e.phase = 'raised';
    return { kind: 'raise', next: e };
  }
  return { kind: 'none', next: e };
}

/**
 * Advances a series' episode by one reading of the rule's metric. Pure apart from mutating `e`.
 *
 * - no episode: a breaching reading starts one (raised at once when `forSeconds` is 0);
 * - pending: a non-breaching reading ends it; a gap longer than `maxGapSeconds` restarts it;
 *   otherwise it is raised once `lastTs - startTs ≥ forSeconds`;
 * - raised: only a reading at or past the clearing level (`clearValue`, else leaving the breach)
 *   clears it; gaps do not;
 * - a reading older than the last one of the episode is ignored (re-order upstream).
 */
export function stepEpisode(rule: ThresholdRuleSpec, e: Episode | undefined, r: Reading): EpisodeStep {
  const breach = breaches(rule.comparison, r.value, rule.value);
  if (e === undefined)
    return breach ? promoteIfLongEnough(rule, start(r)) : { kind: 'none', next: undefined };
  if (r.ts < e.lastTs) return { kind: 'none', next: e };
  if (e.phase === 'raised') {
    const clearAt = rule.clearValue ?? rule.value;
    const cleared =
      rule.clearValue === undefined
        ? !breach
        : rule.comparison.startsWith('<')
          ? r.value >= clearAt
          : r.value <= clearAt;
    e.lastTs = r.ts;
    return cleared ? { kind: 'clear', next: undefined, alertId: e.alertId ?? '' } : { kind: 'none', next: e };
  }
  if (!breach) return { kind: 'none', next: undefined };
  if (r.ts - e.lastTs > (rule.maxGapSeconds ?? DEFAULT_MAX_GAP_SECONDS) * 1000) {
    return promoteIfLongEnough(rule, start(r));
  }
  e.lastTs = r.ts;
  e.readingIds.push(r.id);
  if (e.readingIds.length > MAX_ALERT_READING_IDS) e.readingIds.shift();
  return promoteIfLongEnough(rule, e);
}
