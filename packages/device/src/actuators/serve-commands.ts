import {
  type Clock,
  type Command,
  type CommandStatus,
  commandJsonCodec,
  commandStatusJsonCodec,
  type HealthItError,
  systemClock,
  Topics,
  type Transport,
} from '@healthit/core';
import { catchError, concatMap, EMPTY, from, map, mergeMap, Observable, of, share } from 'rxjs';
import type { Actuator } from './actuator.js';

/** What {@link serveCommands} did: a status it reported, or a message it could not use. */
export type ServeCommandsEvent =
  | {
      /** A status of a command was published on `Topics.deviceCommandStatus(deviceId)`. */
      readonly type: 'status-published';
      /** The published status (from the actuator, or the `rejected` status of an unauthorised command). */
      readonly status: CommandStatus;
    }
  | {
      /** Publishing a status failed; serving goes on with the next one. */
      readonly type: 'status-publish-failed';
      /** The status that could not be published. */
      readonly status: CommandStatus;
      /** What the transport's `publish` rejected with. */
      readonly error: unknown;
    }
  | {
      /** A message on the commands topic was not a valid JSON `Command`; it was dropped, unanswered. */
      readonly type: 'command-refused';
      /** The topic the message arrived on. */
      readonly topic: string;
      /** Why the message could not be decoded as a command (from `commandJsonCodec.decode`). */
      readonly error: HealthItError;
    };

/** Options of {@link serveCommands}. */
export interface ServeCommandsOptions {
  /**
   * Checked before a command reaches the actuator, e.g. for therapy-changing commands
   * `(c) => verifyCommandAuthorisation(c, { issuers, resource: { ward } })` (core): a refused command
   * is never executed and gets a `rejected` status with reason `unauthorised: <reason>`.
   */
  readonly authorise?: (
    command: Command,
  ) => { readonly ok: true } | { readonly ok: false; readonly reason: string };
  /** Time of the `rejected` statuses (default the system clock). */
  readonly clock?: Clock;
}

/**
 * Puts an actuator on a transport, as its firmware would: commands arriving on
 * `Topics.deviceCommands(deviceId)` (JSON `Command`) are executed and every status is published on
 * `Topics.deviceCommandStatus(deviceId)` (JSON `CommandStatus`, QoS 1). A message that is not a
 * valid command becomes a `command-refused` event and the next one is served. Cold: subscribing
 * starts serving, unsubscribing stops.
 *
 * @example
 * ```ts
 * serveCommands(createOxygenConcentrator({ deviceId: 'o2-001' }), transport).subscribe();
 * ```
 */
export function serveCommands(
  actuator: Actuator<unknown>,
  transport: Transport,
  options: ServeCommandsOptions = {},
): Observable<ServeCommandsEvent> {
  const statusTopic = Topics.deviceCommandStatus(actuator.deviceId);
  const { authorise, clock = systemClock } = options;
  const commands$ = transport.subscribe(Topics.deviceCommands(actuator.deviceId)).pipe(
    mergeMap((message) => {
      try {
        return of({ ok: true as const, command: commandJsonCodec.decode(message.payload) });
      } catch (error) {
        return of({ ok: false as const, topic: message.topic, error: error as HealthItError });
      }
    }),
  );
  /** A command refused before it reaches the actuator: its `rejected` status, published. */
  const rejection = (command: Command, reason: string): Observable<ServeCommandsEvent> => {
    const status: CommandStatus = {
      commandId: command.id,
      deviceId: command.deviceId,
      state: 'rejected',
      at: clock.now(),
      reason,
    };
    return from(transport.publish(statusTopic, commandStatusJsonCodec.encode(status), { qos: 1 })).pipe(
      map((): ServeCommandsEvent => ({ type: 'status-published', status })),
      catchError((error: unknown) =>
        of<ServeCommandsEvent>({ type: 'status-publish-failed', status, error }),
      ),
    );
  };
  return new Observable<ServeCommandsEvent>((subscriber) => {
    const decoded$ = commands$.pipe(share());
    const refused = decoded$.subscribe((d) => {
      if (!d.ok) subscriber.next({ type: 'command-refused', topic: d.topic, error: d.error });
    });
    const verdicts$ = decoded$.pipe(
      mergeMap((d) => {
        if (!d.ok) return EMPTY;
        const verdict = authorise?.(d.command) ?? { ok: true as const };
        return [{ command: d.command, verdict }];
      }),
      share(),
    );
    refused.add(
      verdicts$
        .pipe(
          concatMap(({ command, verdict }) =>
            verdict.ok ? EMPTY : rejection(command, `unauthorised: ${verdict.reason}`),
          ),
        )
        .subscribe((e) => subscriber.next(e)),
    );
    const served = actuator
      .connect(verdicts$.pipe(mergeMap(({ command, verdict }) => (verdict.ok ? [command] : EMPTY))))
      .pipe(
        concatMap((status) =>
          from(transport.publish(statusTopic, commandStatusJsonCodec.encode(status), { qos: 1 })).pipe(
            map((): ServeCommandsEvent => ({ type: 'status-published', status })),
            catchError((error: unknown) =>
              of<ServeCommandsEvent>({ type: 'status-publish-failed', status, error }),
            ),
          ),
        ),
      )
      .subscribe(subscriber);
    return () => {
      refused.unsubscribe();
      served.unsubscribe();
    };
  });
}
