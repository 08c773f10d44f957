/** Starting the gateway fixture (`fixtures/gateway.ts`) and reading what it reported. */
import { type FixtureRun, runFixture } from './child.js';

/** A line the gateway fixture prints. */
export type GatewayLine =
  | { readonly type: 'ready' }
  | { readonly type: 'received'; readonly ids: readonly string[] }
  | { readonly type: 'appended'; readonly ids: readonly string[] }
  | { readonly type: 'event'; readonly event: string; readonly message?: string }
  | {
      readonly type: 'progress' | 'done';
      readonly appended: number;
      readonly acknowledged: number;
      readonly pending: number;
    };

export type GatewayRun = FixtureRun<GatewayLine>;

/** Starts a gateway process with the fixture's environment (see `fixtures/gateway.ts`). */
export function startGatewayProcess(env: Record<string, string>): GatewayRun {
  return runFixture<GatewayLine>('gateway', env);
}

/** The reading ids a gateway process reported as `kind` (received from MQTT, or appended to its outbox). */
export function reported(run: GatewayRun, kind: 'received' | 'appended'): string[] {
  return run.lines.flatMap((l) => (l.type === kind ? l.ids : []));
}

/** The last progress (or done) line. */
export function lastProgress(run: GatewayRun): { appended: number; acknowledged: number; pending: number } {
  for (let i = run.lines.length - 1; i >= 0; i--) {
    const l = run.lines[i];
    if (l?.type === 'progress' || l?.type === 'done') return l;
  }
  return { appended: 0, acknowledged: 0, pending: 0 };
}
