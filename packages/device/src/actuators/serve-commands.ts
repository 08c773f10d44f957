import {
  type CommandStatus,
  commandJsonCodec,
  commandStatusJsonCodec,
  type HealthItError,
  Topics,
  type Transport,
} from '@healthit/core';
import { catchError, concatMap, EMPTY, from, map, mergeMap, Observable, of, share } from 'rxjs';
import type { Actuator } from './actuator.js';

/** What {@link serveCommands} did: a status it reported, or a message it could not use. */
export type ServeCommandsEvent =
  | { readonly type: 'status-published'; readonly status: CommandStatus }
  | { readonly type: 'status-publish-failed'; readonly status: CommandStatus; readonly error: unknown }
  | { readonly type: 'command-refused'; readonly topic: string; readonly error: HealthItError };

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
): Observable<ServeCommandsEvent> {
  const statusTopic = Topics.deviceCommandStatus(actuator.deviceId);
  const commands$ = transport.subscribe(Topics.deviceCommands(actuator.deviceId)).pipe(
    mergeMap((message) => {
      try {
        return of({ ok: true as const, command: commandJsonCodec.decode(message.payload) });
      } catch (error) {
        return of({ ok: false as const, topic: message.topic, error: error as HealthItError });
      }
    }),
  );
  return new Observable<ServeCommandsEvent>((subscriber) => {
    const decoded$ = commands$.pipe(share());
    const refused = decoded$.subscribe((d) => {
      if (!d.ok) subscriber.next({ type: 'command-refused', topic: d.topic, error: d.error });
    });
    const served = actuator
      .connect(decoded$.pipe(mergeMap((d) => (d.ok ? [d.command] : EMPTY))))
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
