import type { Alert } from '@healthit/core';
import type { Subscription } from 'rxjs';
import { BoundedTable, type RuleContext, type RuleRuntime, raiseRuleAlert } from './runtime.js';
import type { DeviceOfflineRule } from './spec.js';

interface DeviceState {
  lastSeen: number;
  lastId: string | undefined;
  timer: Subscription | undefined;
  /** The alert of the current silence, once raised. */
  alertId: string | undefined;
}

/**
 * Runs a `device-offline` rule: every sign of life (heartbeat or reading) of a device re-arms a
 * timer due `silenceMinutes` after it (its `ts`, clamped to now); when the timer fires the device
 * is offline and one alert is raised. The next sign of life ends the silence (`rule-cleared`).
 * Signs older than the last one are ignored (they say nothing new). Only devices seen at least
 * once are watched.
 * @internal
 */
export function deviceOfflineRuntime(rule: DeviceOfflineRule, ctx: RuleContext): RuleRuntime {
  const silenceMs = rule.silenceMinutes * 60_000;
  const only = rule.deviceIds === undefined ? undefined : new Set(rule.deviceIds);
  const devices = new BoundedTable<DeviceState>(ctx.maxTracked, (deviceId, s) => {
    s.timer?.unsubscribe();
    ctx.emit({ type: 'state-evicted', ts: ctx.clock.now(), ruleId: rule.id, subject: deviceId });
  });

  const fire = (deviceId: string, s: DeviceState): void => {
    s.timer = undefined;
    const minutes = Math.round((ctx.clock.now() - s.lastSeen) / 60_000);
    const alert = raiseRuleAlert(ctx, rule, {
      subject: deviceId,
      deviceId: deviceId as Alert['deviceId'] & string,
      message: `Device ${deviceId} offline: nothing received for ${minutes} min (last seen ${new Date(s.lastSeen).toISOString()})`,
      readingIds: s.lastId === undefined ? [] : [s.lastId],
    });
    s.alertId = alert.id;
  };

  return {
    onSignOfLife(signal) {
      if (only !== undefined && !only.has(signal.deviceId)) return;
      const s = devices.touch(signal.deviceId, () => ({
        lastSeen: Number.NEGATIVE_INFINITY,
        lastId: undefined,
        timer: undefined,
        alertId: undefined,
      }));
      const now = ctx.clock.now();
      const ts = Math.min(signal.ts, now);
      if (ts < s.lastSeen) return;
      s.lastSeen = ts;
      s.lastId = signal.id;
      if (s.alertId !== undefined) {
        ctx.emit({
          type: 'rule-cleared',
          ts: now,
          ruleId: rule.id,
          subject: signal.deviceId,
          alertId: s.alertId,
        });
        s.alertId = undefined;
      }
      s.timer?.unsubscribe();
      s.timer = ctx.scheduler.schedule(() => fire(signal.deviceId, s), Math.max(0, ts + silenceMs - now));
    },
    dispose() {
      for (const s of devices.values()) s.timer?.unsubscribe();
      devices.clear();
    },
  };
}
