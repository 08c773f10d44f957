import { COLD_CHAIN_RULES } from './excursions.js';
import { celsius, duration, utcMinute, utcTime } from './format.js';
import type { JourneyEvent } from './journey.js';
import type { JourneyPlan } from './plan.js';

const LABEL_WIDTH = 11;

/** `above 8 °C for 15 min`, from the rule an alert names. */
function breach(alertRule: string): string {
  const rule = COLD_CHAIN_RULES.find((r) => `rule:${r.id}` === alertRule);
  if (rule === undefined) return alertRule;
  const side = rule.comparison.startsWith('>') ? 'above' : 'below';
  return `${side} ${rule.value} °C for ${duration((rule.forSeconds ?? 0) * 1000)}`;
}

function line(at: number, label: string, text: string): string {
  return `${utcMinute(at)}  ${label.padEnd(LABEL_WIDTH)} ${text}`;
}

interface LegTally {
  batches: number;
  readings: number;
  first: number;
  last: number;
  min: number;
  max: number;
}

/**
 * Turns journey events into timeline lines: hand-overs, legs, excursions, checkpoints, and one
 * summary line per leg when its logger anchors its last batch (hourly batches are not listed one by
 * one). Keeps one tally per logger.
 */
export function createTimeline(
  plan: JourneyPlan,
  out: (line: string) => void,
): (event: JourneyEvent) => void {
  const tallies = new Map<string, LegTally>();
  return (e) => {
    switch (e.type) {
      case 'leg':
        out(line(e.at, 'LEG', `${e.leg.custodian} · ${e.leg.place} · logger ${e.leg.logger}`));
        return;
      case 'custody': {
        const c = e.body.conditions;
        const range =
          c.tempMinMilliCelsius === undefined || c.tempMaxMilliCelsius === undefined
            ? ''
            : ` · leg ${celsius(c.tempMinMilliCelsius / 1000)}–${celsius(c.tempMaxMilliCelsius / 1000)}`;
        out(
          line(
            e.at,
            'CUSTODY',
            `${e.body.from} → ${e.body.to} #${e.index} · signed by ${e.signers.join(' + ')} · ${e.body.quantity} vials · seal ${c.sealIntact ? 'intact' : 'BROKEN'} · ${c.excursions} excursion(s)${range}`,
          ),
        );
        return;
      }
      case 'batch': {
        const t = tallies.get(e.logger) ?? {
          batches: 0,
          readings: 0,
          first: e.index,
          last: e.index,
          min: e.minCelsius,
          max: e.maxCelsius,
        };
        t.batches++;
        t.readings += e.count;
        t.last = e.index;
        t.min = Math.min(t.min, e.minCelsius);
        t.max = Math.max(t.max, e.maxCelsius);
        tallies.set(e.logger, t);
        const leg = plan.legs.find((l) => l.logger === e.logger);
        if (leg !== undefined && e.at >= plan.startTs + leg.endMs - plan.readingPeriodMs) {
          out(
            line(
              e.at,
              'ANCHORED',
              `${e.logger}: ${t.batches} hourly batches #${t.first}…#${t.last} · ${t.readings} readings · ${celsius(t.min)}–${celsius(t.max)}`,
            ),
          );
        }
        return;
      }
      case 'excursion': {
        const x = e.excursion;
        out(
          line(
            e.at,
            'EXCURSION',
            `${x.device} ${breach(x.alert.rule)} since ${utcTime(x.startTs)}, now ${celsius(x.alert.value ?? Number.NaN)} (${x.alert.rule.replace(/^rule:/, 'rule ')}) → flagged #${e.index} by ${e.monitor}`,
          ),
        );
        return;
      }
      case 'excursion-cleared': {
        const x = e.excursion;
        const lasted = (x.clearedAt ?? e.at) - x.startTs;
        out(
          line(
            e.at,
            'CLEARED',
            `${x.device} back in range · ${duration(lasted)} out of range · peak ${celsius(x.peakCelsius)}`,
          ),
        );
        return;
      }
      case 'checkpoint':
        out(line(e.at, 'CHECKPOINT', `size ${e.size} · cosigned by ${e.witnesses} witnesses`));
        return;
    }
  };
}
