/** The longest command id the loop makes (the core `Command` allows 300; alert ids add a suffix). */
export const MAX_CONTROL_COMMAND_ID_LENGTH = 260;

/** 64-bit FNV-1a of a string's UTF-16 code units, as 16 hex digits. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/**
 * The id of the command a rule issues because of a reading: `ctl:<ruleId>:<readingId>`. Stable
 * (the same reading processed again gives the same id, so an actuator's idempotency drops the
 * repeat) and unique (a reading makes a rule issue at most one command, and reading ids are
 * unique). An id that would be longer than {@link MAX_CONTROL_COMMAND_ID_LENGTH} keeps the head of
 * the reading id and ends with a 64-bit hash of the whole of it.
 */
export function controlCommandId(ruleId: string, readingId: string): string {
  const id = `ctl:${ruleId}:${readingId}`;
  if (id.length <= MAX_CONTROL_COMMAND_ID_LENGTH) return id;
  const hash = fnv1a64(readingId);
  return `${id.slice(0, MAX_CONTROL_COMMAND_ID_LENGTH - hash.length - 1)}~${hash}`;
}
