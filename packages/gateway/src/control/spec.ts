import { AlertSeverity, DeviceId, JsonValue, MetricId, ValidationError } from '@healthit/core';
import { z } from 'zod';
import { RuleScope } from '../rules/declarative/spec.js';
import { parseJsonRules } from '../rules/parse-json-rules.js';
import { overrideChecker } from '../rules/scope.js';
import { ControlCondition, conditionsOverlap, describeCondition, tryResolveCondition } from './condition.js';

/** The name used in {@link ValidationError}s for a control rule set. */
export const CONTROL_RULE_SET_SCHEMA_NAME = 'ControlRuleSet';
/** Default of {@link ControlRuleSpec} `commandTimeoutMs`: 30 s. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** Default of {@link ControlRuleSpec} `retryAfterMs`: 60 s. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;
/** Default of {@link ControlRuleSpec} `maxGapMs`: 60 s, as for the declarative rules. */
export const DEFAULT_CONTROL_MAX_GAP_MS = 60_000;
/** The most escalation steps a rule may have. */
export const MAX_CONTROL_STEPS = 16;
/** The longest `commandTimeoutMs` and `retryAfterMs`: one hour. */
export const MAX_CONTROL_DELAY_MS = 3_600_000;

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const finite = z.number().finite();
const delayMs = z.number().int().positive().max(MAX_CONTROL_DELAY_MS);

/** The actuator a rule commands, and how its output value goes into the command. */
export const ControlActuator = z.strictObject({
  /**
   * The actuator's device id. Give it for a rule scoped to exactly one patient; otherwise leave it
   * out and resolve actuators per patient (or sensor) with the loop's `actuatorOf` option.
   */
  deviceId: DeviceId.optional(),
  /** The command action, e.g. `oxygen.set-flow`. */
  action: z.string().min(1).max(100),
  /** The params key that carries the output value, e.g. `flowLpm`. */
  param: z.string().min(1).max(64),
  /** Fixed params sent with every command (must not contain `param`). */
  params: z.record(z.string(), JsonValue).optional(),
});
/** A validated actuator target. */
export type ControlActuator = z.infer<typeof ControlActuator>;

/** An escalation step: once `when` has held for its `forMs`, the output is raised to at least `set`. */
export const ControlStep = z.strictObject({ when: ControlCondition, set: finite });
/** A validated step. */
export type ControlStep = z.infer<typeof ControlStep>;

/** Step-down: once `when` has held for its `forMs`, the output is lowered by `by`, not below `min`. */
export const ControlStepDown = z.strictObject({
  when: ControlCondition,
  by: finite.positive(),
  /** The lowest output a step-down reaches (default `limits.min`). */
  min: finite.optional(),
});
/** A validated step-down. */
export type ControlStepDown = z.infer<typeof ControlStepDown>;

/** The gateway-side limits of the output; a command never leaves them. */
export const ControlLimits = z.strictObject({
  min: finite,
  max: finite,
  /** The most the output may change in total (up and down added) over any 60 s. */
  maxChangePerMinute: finite.positive(),
  /** The most one command may change the output. Default: no limit besides the rate. */
  maxStepPerCommand: finite.positive().optional(),
});
/** Validated limits. */
export type ControlLimits = z.infer<typeof ControlLimits>;

/**
 * One control rule, JSON-friendly: a metric of a patient (or of a sensor without a patient)
 * drives one numeric output of an actuator. Values are in the metric's canonical unit.
 *
 * - `steps`: escalation, in order; while several steps hold, the highest `set` wins. The output is
 *   only ever raised by a step (a step never lowers an output that is already higher).
 * - `stepDown`: de-escalation, repeated: each time `when` has held for its `forMs` (counted again
 *   after each step-down), the output goes down by `by`, not below `min`. Its condition must not
 *   overlap any step's.
 * - `limits`: every command is clamped into `[min, max]`, to `maxStepPerCommand`, and to what is
 *   left of `maxChangePerMinute`; when nothing is left, nothing is sent (an event says why).
 * - `initialSetPoint`: the output assumed before the loop's first completed command (default
 *   `limits.min`).
 * - `commandTimeoutMs` (default 30 000): a command without a final status by then raises an alert;
 *   it is also the command's `expiresAt` offset, so a late command is never started.
 * - `retryAfterMs` (default 60 000): after a command fails or times out, the loop waits this long
 *   before commanding the actuator again.
 * - `maxGapMs` (default 60 000): a longer silence between readings restarts a pending condition.
 * - `alertSeverity` (default `high`): of the alerts for failed or timed-out commands.
 *
 * @example
 * ```json
 * { "id": "spo2-oxygen", "metric": "spo2", "scope": { "patientIds": ["patient-001"] },
 *   "actuator": { "deviceId": "o2-001", "action": "oxygen.set-flow", "param": "flowLpm" },
 *   "steps": [{ "when": { "below": 88, "forMs": 30000 }, "set": 2 }],
 *   "stepDown": { "when": { "atLeast": 92, "forMs": 60000 }, "by": 1, "min": 0 },
 *   "limits": { "min": 0, "max": 6, "maxChangePerMinute": 2 }, "commandTimeoutMs": 10000 }
 * ```
 */
export const ControlRuleSpec = z
  .strictObject({
    id: z
      .string()
      .regex(RULE_ID, 'must be 1-64 letters, digits, ".", "_", "-", starting with a letter or digit'),
    metric: MetricId,
    scope: RuleScope.optional(),
    actuator: ControlActuator,
    steps: z.array(ControlStep).min(1).max(MAX_CONTROL_STEPS),
    stepDown: ControlStepDown.optional(),
    limits: ControlLimits,
    initialSetPoint: finite.optional(),
    commandTimeoutMs: delayMs.optional(),
    retryAfterMs: delayMs.optional(),
    maxGapMs: z.number().int().positive().max(86_400_000).optional(),
    alertSeverity: AlertSeverity.optional(),
  })
  .superRefine((r, ctx) => {
    const { min, max } = r.limits;
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    if (!(min < max)) issue(['limits', 'max'], `limits.max ${max} must be above limits.min ${min}`);
    const within = (v: number) => v >= min && v <= max;
    const range = `within limits ${min}…${max}`;
    r.steps.forEach((s, i) => {
      if (!within(s.set)) issue(['steps', i, 'set'], `set ${s.set} must be ${range}`);
    });
    if (r.stepDown?.min !== undefined && !within(r.stepDown.min)) {
      issue(['stepDown', 'min'], `stepDown.min ${r.stepDown.min} must be ${range}`);
    }
    if (r.initialSetPoint !== undefined && !within(r.initialSetPoint)) {
      issue(['initialSetPoint'], `initialSetPoint ${r.initialSetPoint} must be ${range}`);
    }
    if (r.actuator.params !== undefined && r.actuator.param in r.actuator.params) {
      issue(['actuator', 'params'], `must not contain "${r.actuator.param}", the key the loop sets`);
    }
    if (r.actuator.deviceId !== undefined && r.scope?.patientIds?.length !== 1) {
      issue(
        ['actuator', 'deviceId'],
        'a fixed actuator serves one patient: scope the rule to exactly one patient ({ "patientIds": [id] }), or leave deviceId out and pass the "actuatorOf" option',
      );
    }
    // Conditions with their own issues (not exactly one comparison) are skipped here.
    const down = r.stepDown === undefined ? undefined : tryResolveCondition(r.stepDown.when);
    if (down !== undefined) {
      r.steps.forEach((s, i) => {
        const up = tryResolveCondition(s.when);
        if (up !== undefined && conditionsOverlap(up, down)) {
          issue(
            ['stepDown', 'when'],
            `stepDown "${describeCondition(down)}" overlaps step ${i} "${describeCondition(up)}"; a value must not both escalate and step down`,
          );
        }
      });
    }
  });
/** A validated control rule. */
export type ControlRuleSpec = z.infer<typeof ControlRuleSpec>;

/**
 * A control rule set: an array of rules. As with the declarative threshold rules, rules may share
 * an id only as overrides at different levels (everyone → ward → patient) and must then watch the
 * same metric; no two rules may name the same actuator `deviceId`.
 */
export const ControlRuleSet = z.array(ControlRuleSpec).superRefine((rules, ctx) => {
  const checkOverrides = overrideChecker(ctx);
  const devices = new Map<string, number>();
  rules.forEach((rule, index) => {
    checkOverrides(rule, index);
    const device = rule.actuator.deviceId;
    if (device !== undefined) {
      const other = devices.get(device);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'actuator', 'deviceId'],
          message: `actuator "${device}" is already commanded by rule ${other}; one actuator has one control rule`,
        });
      } else devices.set(device, index);
    }
  });
});

/**
 * Validates a control rule set given as JSON text or as an already parsed value.
 *
 * @throws {ValidationError} (code `validation/invalid`, schema `ControlRuleSet`) naming the rule
 *   index and field of every problem, e.g. `0.steps.1.set: set 8 must be within limits 0…6`; for
 *   text that is not JSON, one issue with code `invalid_json` at the root.
 * @example
 * ```ts
 * const rules = parseControlRules(await readFile('control.json', 'utf8'), 'control.json');
 * ```
 */
export function parseControlRules(json: unknown, source?: string): ControlRuleSpec[] {
  return parseJsonRules(
    ControlRuleSet,
    CONTROL_RULE_SET_SCHEMA_NAME,
    'give an array of control rules',
    json,
    source,
  );
}
