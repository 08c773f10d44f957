import {
  type Alert,
  authoriseCommandUnderOrder,
  type Clock,
  type Command,
  type CommandStatus,
  commandJsonCodec,
  commandStatusJsonCodec,
  HealthItError,
  isHealthItError,
  type Reading,
  Topics,
  type Transport,
} from '@healthit/core';
import { map, mergeMap, Observable, share, tap } from 'rxjs';
import type { CommandPublishFailed, CommandStatusRejected, GatewayEvent } from '../events.js';
import type { GatewayControlOptions } from '../gateway.js';
import { splitControlOutput } from './create-control-loop.js';
import type { ControlOutput } from './events.js';
import { controlLoop } from './operator.js';
import { parseControlRules } from './spec.js';

function asError(error: unknown, code: 'codec/decode' | 'transport/publish-failed'): HealthItError {
  return isHealthItError(error)
    ? error
    : new HealthItError(code, error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * The gateway's control loop (`createGateway({ control })`): runs the loop on `readings$`, publishes
 * each command as JSON on `Topics.deviceCommands(deviceId)` and feeds it the actuators' JSON
 * statuses from `Topics.deviceCommandStatus('+')`; undecodable statuses and failed publishes become
 * events beside the loop's own.
 *
 * @throws {ValidationError} for invalid rules; {@link HealthItError} `config/invalid` without a transport.
 */
export function gatewayControl(
  options: GatewayControlOptions,
  readings$: Observable<Reading>,
  gatewayTransport: Transport | undefined,
  clock: Clock,
): {
  readonly commands$: Observable<Command>;
  readonly alerts$: Observable<Alert>;
  readonly events$: Observable<GatewayEvent>;
} {
  const rules = parseControlRules(options.rules, 'GatewayOptions.control.rules');
  const transport = options.transport ?? gatewayTransport;
  if (transport === undefined) {
    throw new HealthItError(
      'config/invalid',
      'createGateway: `control` needs `control.transport` or `transport`',
      {
        detail: {},
      },
    );
  }
  const standing = options.standingOrders;
  /** The command signed under the standing order covering it, if any (the newest that has not expired). */
  const signed = (command: Command): Command => {
    if (standing === undefined) return command;
    const now = clock.now();
    const order = [...standing.orders]
      .reverse()
      .find((o) => o.deviceId === command.deviceId && o.action === command.action && o.expiresAt > now);
    return order === undefined
      ? command
      : authoriseCommandUnderOrder(command, order, standing.gatewaySecretKey);
  };
  type StatusOrEvent = { status: CommandStatus } | { event: CommandStatusRejected };
  const decoded$ = transport.subscribe(Topics.deviceCommandStatus('+')).pipe(
    map((message): StatusOrEvent => {
      try {
        return { status: commandStatusJsonCodec.decode(message.payload) };
      } catch (error) {
        return {
          event: {
            type: 'command-status-rejected',
            topic: message.topic,
            error: asError(error, 'codec/decode'),
          },
        };
      }
    }),
    share(),
  );
  const statuses$ = decoded$.pipe(mergeMap((d) => ('status' in d ? [d.status] : [])));
  type Output = ControlOutput | CommandStatusRejected | CommandPublishFailed;
  const output$ = new Observable<Output>((subscriber) => {
    const rejected = decoded$.subscribe((d) => {
      if ('event' in d) subscriber.next(d.event);
    });
    const loop = readings$
      .pipe(
        controlLoop(rules, {
          statuses$,
          clock,
          ...(options.overrides$ ? { overrides$: options.overrides$ } : {}),
          ...(options.scheduler ? { scheduler: options.scheduler } : {}),
          ...(options.wardOf ? { wardOf: options.wardOf } : {}),
          ...(options.actuatorOf ? { actuatorOf: options.actuatorOf } : {}),
          ...(options.maxActuators ? { maxActuators: options.maxActuators } : {}),
        }),
        map((o) => (o.type === 'command' ? { ...o, command: signed(o.command) } : o)),
        tap((o) => {
          if (o.type !== 'command') return;
          const command = o.command;
          transport
            .publish(Topics.deviceCommands(command.deviceId), commandJsonCodec.encode(command), { qos: 1 })
            .catch((error: unknown) =>
              subscriber.next({
                type: 'command-publish-failed',
                commandId: command.id,
                deviceId: command.deviceId,
                error: asError(error, 'transport/publish-failed'),
              }),
            );
        }),
      )
      .subscribe(subscriber);
    return () => {
      rejected.unsubscribe();
      loop.unsubscribe();
    };
  }).pipe(share());
  return splitControlOutput<GatewayEvent>(output$);
}
