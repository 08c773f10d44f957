import {
  type Clock,
  Command,
  type CommandState,
  type CommandStatus,
  DeviceId,
  HealthItError,
  isFinalCommandState,
  type JsonValue,
  safeParse,
  ValidationError,
} from '@healthit/core';
import {
  asyncScheduler,
  BehaviorSubject,
  catchError,
  EMPTY,
  mergeMap,
  Observable,
  type SchedulerLike,
  Subject,
  type Subscriber,
  Subscription,
  throwError,
} from 'rxjs';
import {
  type ActionSpec,
  type ActuatorDefinition,
  type LimitViolation,
  MAX_TIMER_DELAY_MS,
  type RunContext,
  type SafetyLimit,
} from './definition.js';

/** Default of {@link ActuatorOptions.maxQueued}. */
export const DEFAULT_MAX_QUEUED_COMMANDS = 8;
/** Default of {@link ActuatorOptions.maxRememberedCommands}. */
export const DEFAULT_MAX_REMEMBERED_COMMANDS = 1024;

/** Options of {@link createActuator}: the instance, where the definition is the kind. */
export interface ActuatorOptions<S> {
  /** This actuator's device id; commands addressed to another device are rejected. */
  readonly deviceId: string;
  /**
   * Stamps every status (`at`) and state (`ts`), and decides expiry. Default: the scheduler's
   * `now()` (so a `TestScheduler` alone makes every time exact).
   */
  readonly clock?: Clock;
  /** Runs every delay (durations, expiry of queued commands). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * At most this many accepted commands wait behind the running one: an integer >= 0 (0: no
   * queue). When full, a new command is REJECTED (`the command queue is full …`); nothing already
   * accepted is ever dropped. Default {@link DEFAULT_MAX_QUEUED_COMMANDS}.
   */
  readonly maxQueued?: number;
  /**
   * How many finished commands are remembered for idempotency: an integer >= 1. When more have
   * finished, the one that finished EARLIEST is forgotten (a command not yet final is never
   * forgotten); a forgotten id sent again is treated as new, so give commands an `expiresAt`
   * shorter than the time it takes to finish this many. Default
   * {@link DEFAULT_MAX_REMEMBERED_COMMANDS}.
   */
  readonly maxRememberedCommands?: number;
  /** The state at power-on. Default the definition's `initialState`. */
  readonly initialState?: S;
}

/** The actuator's state and when it took it. */
export interface ActuatorState<S> {
  /**
   * The actuator's state, of the shape its definition declares (e.g. `{ flowLpm }` for an oxygen
   * concentrator).
   */
  readonly state: S;
  /** Clock time of the change, epoch ms. */
  readonly ts: number;
}

/**
 * A running actuator: commands in, statuses and states out. The lifecycle, after Node-RED's
 * input → send → done → close:
 *
 * - input: {@link Actuator.execute} (one command) or {@link Actuator.connect} (a stream of them);
 * - send: every status of every command on {@link Actuator.status$}, and the statuses of one
 *   command on the Observable `execute` returns;
 * - done: that Observable completes when its command reaches a final state (`completed`, `failed`,
 *   `rejected`, `expired`);
 * - close: {@link Actuator.close} fails what runs and waits, and completes every stream.
 *
 * @typeParam S - the state.
 * @typeParam F - the names of the faults that can be injected.
 */
export interface Actuator<S, F extends string = string> {
  /**
   * This actuator's device id (validated and branded from {@link ActuatorOptions.deviceId}); commands
   * addressed to another device are rejected.
   */
  readonly deviceId: DeviceId;
  /** The definition's kind, e.g. `oxygen-concentrator`. */
  readonly kind: string;
  /** The declared safety limits. */
  readonly limits: readonly SafetyLimit[];
  /** The names of the accepted actions. */
  readonly actions: readonly string[];
  /** The queue bound in force. */
  readonly maxQueued: number;
  /** The idempotency memory bound in force. */
  readonly maxRememberedCommands: number;
  /**
   * Hot, no replay: every status report of every command, in order, including re-reports of a
   * known status when a command id arrives again. Completes on `close()`.
   */
  readonly status$: Observable<CommandStatus>;
  /** Hot, replays the latest: the state and when it changed. Completes on `close()`. */
  readonly state$: Observable<ActuatorState<S>>;
  /** Hot, replays the latest: the active (latched) faults, in injection order. */
  readonly faults$: Observable<readonly F[]>;
  /**
   * Hot, no replay: inputs no status can be reported for, because they have no usable `id` (a
   * string of 1–300 characters), as `ValidationError`s. Completes on `close()`.
   */
  readonly errors$: Observable<ValidationError>;
  /**
   * Submits one command NOW (eagerly, whether or not the result is subscribed), and returns its
   * statuses: those reported so far are replayed, later ones follow, and the Observable completes
   * after the final one. Unsubscribing only stops watching; it never cancels the command.
   *
   * A command id seen before (and still remembered) is never run again: its latest status is
   * reported again on `status$`, and the returned Observable starts from it. The only error: the
   * input has no usable `id` (`ValidationError`, also emitted on `errors$`).
   *
   * @throws {HealthItError} `config/invalid` when the clock returns a time that is not epoch ms.
   */
  execute(command: unknown): Observable<CommandStatus>;
  /**
   * Cold: subscribing executes each command of `commands$` as it arrives and emits their statuses
   * (as `execute` does, merged). Inputs without a usable id go to `errors$` only. Completes when
   * `commands$` has completed and each of its commands is final; errors when `commands$` errors.
   */
  connect(commands$: Observable<unknown>): Observable<CommandStatus>;
  /** The latest status of a remembered command, or `undefined`. */
  statusOf(commandId: string): CommandStatus | undefined;
  /** The current state. */
  currentState(): ActuatorState<S>;
  /**
   * Simulates a fault: the running command fails (`fault "<name>": <description>`), queued
   * commands fail without running, the fault's state applies, and until {@link clearFault} every
   * new command is rejected except preempting ones (stops). Injecting an active fault again does
   * nothing.
   * @throws {RangeError} for a fault the definition does not declare.
   * @throws {HealthItError} `state/invalid` after `close()`.
   */
  injectFault(fault: F): void;
  /**
   * Clears a latched fault (as a clinician acknowledging the alarm); clearing an inactive fault
   * does nothing.
   * @throws {RangeError} for a fault the definition does not declare.
   * @throws {HealthItError} `state/invalid` after `close()`.
   */
  clearFault(fault: F): void;
  /**
   * Shuts the actuator down: the running command fails (its `interrupted` state applies), queued
   * commands fail, every stream completes, and later commands are rejected. Idempotent.
   */
  close(): void;
}

interface Entry {
  readonly id: string;
  readonly history: CommandStatus[];
  readonly observers: Set<Subscriber<CommandStatus>>;
}

interface Pending {
  readonly entry: Entry;
  readonly command: Command;
  readonly spec: ActionSpec<unknown, unknown>;
  readonly params: unknown;
  expiry?: Subscription;
}

interface Slot {
  readonly pending: Pending;
  readonly context: RunContext<unknown>;
  readonly subscription: Subscription;
}

const MAX_COMMAND_ID_LENGTH = 300;

function integerOption(value: number, what: string, min: number): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function formatTs(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

function limitReason(v: LimitViolation): string {
  return `outside safety limit ${v.limit.name} (${v.limit.description}): ${v.detail}; not run`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A definition's note for the `accepted` status; one that throws says so instead. */
function noteOf(spec: ActionSpec<unknown, unknown>, params: unknown, command: Command): string | undefined {
  try {
    return spec.note?.(params, command);
  } catch (e) {
    return `no note: ${messageOf(e)}`;
  }
}

/** Runs a definition's check; a check that throws counts as a violation (fail safe). */
function guardedCheck(action: string, check: () => LimitViolation | undefined): string | undefined {
  try {
    const violation = check();
    return violation === undefined ? undefined : limitReason(violation);
  } catch (e) {
    return `the safety check of ${action} failed (${messageOf(e)}); not run`;
  }
}

/** The command's id when it is usable for status reports: a string of 1–300 characters. */
function commandIdOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const id = (input as { id?: unknown }).id;
  return typeof id === 'string' && id.length >= 1 && id.length <= MAX_COMMAND_ID_LENGTH ? id : undefined;
}

/**
 * Runs an actuator from its definition: validates each command, enforces the safety limits on
 * the device side, runs one command at a time, and reports each command's lifecycle as core
 * `CommandStatus`es: `accepted → running → completed | failed`, or `rejected` (with the reason) /
 * `expired`. See the docs (`docs/devices/actuators.md`) for the rules; in short:
 *
 * - Idempotent by id: an id seen before never runs again; its latest status is re-reported.
 * - On receipt, in order: the `Command` schema, the device id, expiry (`expiresAt` at or before
 *   now: `expired`), a known action, its params schema (`rejected` naming the field), its
 *   state-independent limits, active faults. Out-of-limit commands are rejected, never clamped.
 * - One command runs at a time. A busy actuator queues the command (bounded FIFO, `maxQueued`;
 *   when full the NEW command is rejected). Preempting actions (stops) interrupt instead.
 * - Before a command starts, expiry and the state-dependent limits are checked again; a queued
 *   command that fails them ends `expired` or `rejected` without running. A queued command is also
 *   expired by a timer at its `expiresAt`.
 *
 * Nothing is scheduled until a command arrives.
 *
 * @throws {TypeError} when `maxQueued` or `maxRememberedCommands` is not a number.
 * @throws {RangeError} for a malformed `deviceId` or an out-of-range bound.
 * @example
 * ```ts
 * const lamp = createActuator(lampDefinition, { deviceId: 'lamp-1' });
 * lamp.execute({
 *   id: 'cmd-1', deviceId: 'lamp-1', action: 'lamp.switch', params: { on: true },
 *   issuedBy: 'user:nurse-7', issuedAt: Date.now(),
 * }).subscribe((s) => console.log(s.state, s.reason ?? ''));   // accepted, running, completed
 * ```
 */
export function createActuator<S, F extends string = string>(
  definition: ActuatorDefinition<S, F>,
  options: ActuatorOptions<S>,
): Actuator<S, F> {
  const parsedId = DeviceId.safeParse(options.deviceId);
  if (!parsedId.success) {
    throw new RangeError(
      `deviceId "${String(options.deviceId)}" is not a valid device id (1-128 letters, digits, ".", "_", "-", ":")`,
    );
  }
  const deviceId = parsedId.data;
  const kind = definition.kind;
  const scheduler = options.scheduler ?? asyncScheduler;
  const clock: Clock = options.clock ?? { now: () => scheduler.now() };
  const maxQueued = integerOption(options.maxQueued ?? DEFAULT_MAX_QUEUED_COMMANDS, 'maxQueued', 0);
  const maxRemembered = integerOption(
    options.maxRememberedCommands ?? DEFAULT_MAX_REMEMBERED_COMMANDS,
    'maxRememberedCommands',
    1,
  );
  const actions = definition.actions as Readonly<Record<string, ActionSpec<unknown, unknown>>>;
  const actionNames = Object.freeze(Object.keys(actions));
  const faultSpecs = (definition.faults ?? {}) as Readonly<
    Record<string, { description: string; apply?(s: S): S }>
  >;

  const now = (): number => {
    const t = clock.now();
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      throw new HealthItError(
        'config/invalid',
        `The clock of ${kind} "${deviceId}" returned ${String(t)}; it must return epoch ms >= 0`,
        { detail: { deviceId, now: String(t) } },
      );
    }
    return Math.floor(t);
  };

  let state: S = options.initialState ?? definition.initialState;
  const stateSubject = new BehaviorSubject<ActuatorState<S>>(Object.freeze({ state, ts: now() }));
  const statusSubject = new Subject<CommandStatus>();
  const errorsSubject = new Subject<ValidationError>();
  const faultsSubject = new BehaviorSubject<readonly F[]>(Object.freeze([]));
  const faults = new Set<F>();
  /** Every remembered command, by id; final ones in the order they became final. */
  const remembered = new Map<string, Entry>();
  const finished = new Set<string>();
  let queue: Pending[] = [];
  let running: Slot | undefined;
  let pumping = false;
  let closed = false;

  function setState(next: S): void {
    state = next;
    stateSubject.next(Object.freeze({ state: next, ts: now() }));
  }

  function report(entry: Entry, commandState: CommandState, reason?: string, result?: JsonValue): void {
    const status: CommandStatus = Object.freeze({
      commandId: entry.id,
      deviceId,
      state: commandState,
      at: now(),
      ...(reason === undefined ? {} : { reason }),
      ...(result === undefined ? {} : { result }),
    });
    entry.history.push(status);
    const final = isFinalCommandState(commandState);
    if (final && remembered.get(entry.id) === entry) {
      finished.add(entry.id);
      while (finished.size > maxRemembered) {
        const oldest = finished.values().next().value as string;
        finished.delete(oldest);
        remembered.delete(oldest);
      }
    }
    statusSubject.next(status);
    const observers = [...entry.observers];
    if (final) entry.observers.clear();
    for (const o of observers) {
      o.next(status);
      if (final) o.complete();
    }
  }

  /** The statuses of `entry` from `history[from]` on, then live until final. */
  function observe(entry: Entry, from: number): Observable<CommandStatus> {
    return new Observable<CommandStatus>((subscriber) => {
      // By index over the live history: a status reported while this replays (from an observer
      // reacting to a replayed one) is replayed too.
      for (let i = from; i < entry.history.length; i++) {
        const status = entry.history[i] as CommandStatus;
        subscriber.next(status);
        if (isFinalCommandState(status.state)) {
          subscriber.complete();
          return;
        }
        if (subscriber.closed) return;
      }
      entry.observers.add(subscriber);
      return () => entry.observers.delete(subscriber);
    });
  }

  function isExpired(command: Command, t: number): boolean {
    return command.expiresAt !== undefined && t >= command.expiresAt;
  }

  /** Stops the running command's run (applying its `interrupted` state) and returns it. */
  function takeRunning(): Slot | undefined {
    const slot = running;
    if (slot === undefined) return undefined;
    running = undefined;
    slot.subscription.unsubscribe();
    const { spec, params } = slot.pending;
    if (spec.interrupted !== undefined) setState(spec.interrupted(params, slot.context, now()) as S);
    return slot;
  }

  function takeQueue(): Pending[] {
    const waiting = queue;
    queue = [];
    for (const p of waiting) p.expiry?.unsubscribe();
    return waiting;
  }

  function finish(slot: Slot, commandState: 'completed' | 'failed', reason?: string): void {
    running = undefined;
    slot.subscription.unsubscribe();
    const { spec, params, command, entry } = slot.pending;
    let result: JsonValue | undefined;
    let outcome = commandState;
    let why = reason;
    if (commandState === 'completed' && spec.result !== undefined) {
      try {
        result = spec.result(state, params, { command, faults: [...faults] });
      } catch (e) {
        outcome = 'failed';
        why = `the ${command.action} result could not be made: ${messageOf(e)}`;
      }
    }
    report(entry, outcome, why, result);
    pump();
  }

  /**
   * Starts `pending` unless a state-dependent limit forbids it (skipped when `preempted` is given:
   * the caller checked before interrupting). A command not yet `accepted` is reported accepted
   * first, then `preempted` reports what it interrupted. The slot is taken before any report, so
   * a command submitted from a status observer queues behind this one.
   */
  function start(pending: Pending, accepted: boolean, preempted?: () => void): void {
    const { entry, command, spec, params } = pending;
    const violation =
      preempted === undefined
        ? guardedCheck(command.action, () => spec.checkAtStart?.(params, state, command))
        : undefined;
    if (violation !== undefined) {
      report(
        entry,
        'rejected',
        accepted ? `${violation} (checked when it reached the head of the queue)` : violation,
      );
      return;
    }
    const slot: Slot = {
      pending,
      context: Object.freeze({ command, state, startedAt: now(), scheduler, clock }),
      subscription: new Subscription(),
    };
    running = slot;
    if (!accepted) report(entry, 'accepted', noteOf(spec, params, command));
    preempted?.();
    if (running !== slot) return;
    report(entry, 'running');
    if (running !== slot) return;
    let run$: Observable<unknown>;
    try {
      run$ = spec.run(params, slot.context);
    } catch (e) {
      finish(slot, 'failed', `the ${command.action} run failed to start: ${messageOf(e)}`);
      return;
    }
    slot.subscription.add(
      run$.subscribe({
        next: (next) => {
          if (running === slot) setState(next as S);
        },
        error: (e: unknown) => {
          if (running === slot) finish(slot, 'failed', messageOf(e));
        },
        complete: () => {
          if (running === slot) finish(slot, 'completed');
        },
      }),
    );
  }

  /** Starts queued commands while the actuator is idle (re-entrancy safe). */
  function pump(): void {
    if (pumping) return;
    pumping = true;
    try {
      while (running === undefined && queue.length > 0 && !closed) {
        const next = queue.shift() as Pending;
        next.expiry?.unsubscribe();
        const t = now();
        if (isExpired(next.command, t)) {
          report(
            next.entry,
            'expired',
            `expired at ${formatTs(next.command.expiresAt as number)} while queued; not run`,
          );
          continue;
        }
        start(next, true);
      }
    } finally {
      pumping = false;
    }
  }

  function scheduleExpiry(pending: Pending): void {
    const { expiresAt } = pending.command;
    if (expiresAt === undefined) return;
    const delayMs = Math.max(0, expiresAt - now());
    if (delayMs > MAX_TIMER_DELAY_MS) return; // checked again before it starts
    pending.expiry = scheduler.schedule(() => {
      const index = queue.indexOf(pending);
      if (index < 0 || !isExpired(pending.command, now())) return;
      queue.splice(index, 1);
      report(pending.entry, 'expired', `expired at ${formatTs(expiresAt)} while queued; not run`);
    }, delayMs);
  }

  function preempt(pending: Pending): void {
    const { entry, command, spec, params } = pending;
    const violation = guardedCheck(command.action, () => spec.checkAtStart?.(params, state, command));
    if (violation !== undefined) {
      report(entry, 'rejected', violation);
      return;
    }
    const why = `${command.action} command "${entry.id}"`;
    const interrupted = takeRunning();
    const waiting = takeQueue();
    start(pending, false, () => {
      if (interrupted !== undefined) report(interrupted.pending.entry, 'failed', `interrupted by ${why}`);
      for (const p of waiting) report(p.entry, 'failed', `cleared from the queue by ${why}; not run`);
    });
  }

  function receive(entry: Entry, input: unknown): void {
    if (closed) {
      report(entry, 'rejected', `${kind} "${deviceId}" is closed and accepts no commands`);
      return;
    }
    const parsed = safeParse(Command, 'Command', input, `${kind} ${deviceId}`);
    if (!parsed.ok) {
      report(entry, 'rejected', parsed.error.message);
      return;
    }
    const command = parsed.value;
    if (command.deviceId !== deviceId) {
      report(
        entry,
        'rejected',
        `addressed to device "${command.deviceId}", not to this ${kind} "${deviceId}"`,
      );
      return;
    }
    const t = now();
    if (isExpired(command, t)) {
      report(
        entry,
        'expired',
        `expired at ${formatTs(command.expiresAt as number)}, before it was received at ${formatTs(t)}; not run`,
      );
      return;
    }
    const spec = Object.hasOwn(actions, command.action) ? actions[command.action] : undefined;
    if (spec === undefined) {
      report(
        entry,
        'rejected',
        `unknown action "${command.action}": this ${kind} accepts ${actionNames.join(', ')}`,
      );
      return;
    }
    const result = spec.params.safeParse(command.params);
    if (!result.success) {
      const issues = result.error.issues.map((i) => ({
        path: ['params', ...i.path].map(String).join('.'),
        message: i.message,
        code: i.code,
      }));
      report(entry, 'rejected', new ValidationError(`${command.action} command`, issues).message);
      return;
    }
    const pending: Pending = { entry, command, spec, params: result.data };
    const violation = guardedCheck(command.action, () => spec.check?.(pending.params, command));
    if (violation !== undefined) {
      report(entry, 'rejected', violation);
      return;
    }
    if (faults.size > 0 && spec.preempts !== true && spec.duringFault !== true) {
      const active = [...faults].map((f) => `"${f}" (${faultSpecs[f]?.description})`).join(', ');
      const stops = actionNames.filter((a) => actions[a]?.preempts === true);
      const allowed = stops.length > 0 ? `only ${stops.join(', ')} commands run` : 'no command runs';
      report(entry, 'rejected', `fault ${active} is active: ${allowed} until it is cleared`);
      return;
    }
    if (spec.preempts === true) {
      preempt(pending);
    } else if (running === undefined && queue.length === 0) {
      start(pending, false);
    } else if (queue.length >= maxQueued) {
      report(
        entry,
        'rejected',
        `the command queue is full (${maxQueued} waiting${running === undefined ? '' : ` behind "${running.pending.entry.id}"`}); send it again later with a new id`,
      );
    } else {
      queue.push(pending);
      scheduleExpiry(pending);
      report(entry, 'accepted', noteOf(spec, pending.params, command));
      pump();
    }
  }

  function execute(input: unknown): Observable<CommandStatus> {
    const id = commandIdOf(input);
    if (id === undefined) {
      const error = new ValidationError(
        'Command',
        [
          {
            path: 'id',
            message: `must be a string of 1-${MAX_COMMAND_ID_LENGTH} characters; no status can be reported for a command without one`,
            code: 'invalid_type',
          },
        ],
        { source: `${kind} ${deviceId}` },
      );
      errorsSubject.next(error);
      return throwError(() => error);
    }
    const known = remembered.get(id);
    if (known !== undefined) {
      const latest = known.history.at(-1);
      if (latest === undefined) return observe(known, 0);
      statusSubject.next(latest);
      return observe(known, known.history.length - 1);
    }
    const entry: Entry = { id, history: [], observers: new Set() };
    if (!closed) remembered.set(id, entry);
    receive(entry, input);
    return observe(entry, 0);
  }

  function assertFault(fault: F, what: string): void {
    if (!Object.hasOwn(faultSpecs, fault)) {
      const known = Object.keys(faultSpecs);
      throw new RangeError(
        `Unknown fault "${String(fault)}" for ${kind}: it declares ${known.length > 0 ? known.join(', ') : 'no faults'}`,
      );
    }
    if (closed) {
      throw new HealthItError(
        'state/invalid',
        `Cannot ${what} fault "${fault}": ${kind} "${deviceId}" is closed`,
      );
    }
  }

  return Object.freeze({
    deviceId,
    kind,
    limits: Object.freeze([...definition.limits]),
    actions: actionNames,
    maxQueued,
    maxRememberedCommands: maxRemembered,
    status$: statusSubject.asObservable(),
    state$: stateSubject.asObservable(),
    faults$: faultsSubject.asObservable(),
    errors$: errorsSubject.asObservable(),
    execute,
    connect: (commands$: Observable<unknown>) =>
      commands$.pipe(mergeMap((input) => execute(input).pipe(catchError(() => EMPTY)))),
    statusOf: (commandId: string) => remembered.get(commandId)?.history.at(-1),
    currentState: () => stateSubject.getValue(),
    injectFault(fault: F): void {
      assertFault(fault, 'inject');
      if (faults.has(fault)) return;
      faults.add(fault);
      const spec = faultSpecs[fault] as { description: string; apply?(s: S): S };
      const interrupted = takeRunning();
      const waiting = takeQueue();
      if (spec.apply !== undefined) setState(spec.apply(state));
      faultsSubject.next(Object.freeze([...faults]));
      const why = `fault "${fault}": ${spec.description}`;
      if (interrupted !== undefined) report(interrupted.pending.entry, 'failed', why);
      for (const p of waiting) report(p.entry, 'failed', `${why}; not run`);
    },
    clearFault(fault: F): void {
      assertFault(fault, 'clear');
      if (!faults.delete(fault)) return;
      faultsSubject.next(Object.freeze([...faults]));
    },
    close(): void {
      if (closed) return;
      closed = true;
      const interrupted = takeRunning();
      const waiting = takeQueue();
      if (interrupted !== undefined) {
        report(interrupted.pending.entry, 'failed', `${kind} "${deviceId}" was closed while the command ran`);
      }
      for (const p of waiting) report(p.entry, 'failed', `${kind} "${deviceId}" was closed; not run`);
      statusSubject.complete();
      stateSubject.complete();
      faultsSubject.complete();
      errorsSubject.complete();
    },
  });
}
