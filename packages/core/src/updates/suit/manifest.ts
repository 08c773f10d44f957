import {
  asArray,
  asBytes,
  asInt,
  asMap,
  asText,
  asUint,
  decodeCbor,
  decodeWrapped,
  malformed,
} from './cbor.js';
import {
  MAX_COMPONENTS,
  MAX_TRY_EACH_DEPTH,
  SUIT_COMMAND,
  SUIT_COMMON_KEY,
  SUIT_MANIFEST_KEY,
  SUIT_PARAMETER,
} from './constants.js';
import { parseDigest } from './digest.js';
import type { SuitComponent, SuitParameters } from './types.js';

type MutableParameters = { -readonly [K in keyof SuitParameters]: SuitParameters[K] };

/** The top level of a manifest, read after its digest matched the signed one. */
export interface ManifestTop {
  readonly sequenceNumber: number;
  readonly referenceUri?: string;
  /** The `SUIT_Common` map. */
  readonly common: Map<unknown, unknown>;
  /** Every member other than version, sequence number, common and reference-uri. */
  readonly members: Map<number, unknown>;
}

const TOP_KEYS = new Set<number>([
  SUIT_MANIFEST_KEY.version,
  SUIT_MANIFEST_KEY.sequenceNumber,
  SUIT_MANIFEST_KEY.common,
  SUIT_MANIFEST_KEY.referenceUri,
]);

/**
 * Decodes the manifest byte string. Call only after the signature and the digest were checked.
 * @throws {UpdateRejectedError} `malformed` (with `detail.where`).
 */
export function parseManifestTop(bytes: Uint8Array): ManifestTop {
  const map = asMap(decodeCbor(bytes, 'manifest'), 'manifest');
  const members = new Map<number, unknown>();
  for (const [key, value] of map) {
    const label = asInt(key, 'manifest (member key)');
    if (!TOP_KEYS.has(label)) members.set(label, value);
  }
  const version = asUint(map.get(SUIT_MANIFEST_KEY.version), 'manifest.manifest-version');
  if (version !== 1)
    throw malformed('manifest.manifest-version', `version ${version} is not supported (only 1)`);
  const sequenceNumber = asUint(
    map.get(SUIT_MANIFEST_KEY.sequenceNumber),
    'manifest.manifest-sequence-number',
  );
  const common = asMap(
    decodeWrapped(map.get(SUIT_MANIFEST_KEY.common), 'manifest.common'),
    'manifest.common',
  );
  const uri = map.get(SUIT_MANIFEST_KEY.referenceUri);
  return {
    sequenceNumber,
    ...(uri === undefined ? {} : { referenceUri: asText(uri, 'manifest.reference-uri') }),
    common,
    members,
  };
}

/** Reads the `SUIT_Parameters` map of a `directive-override-parameters`. */
function parseParameters(value: unknown, where: string): MutableParameters {
  const map = asMap(value, where);
  const out: MutableParameters = {};
  for (const [key, v] of map) {
    const label = asInt(key, `${where} (parameter key)`);
    const at = `${where}.${label}`;
    switch (label) {
      case SUIT_PARAMETER.vendorIdentifier:
        out.vendorId = asBytes(v, at, 64);
        break;
      case SUIT_PARAMETER.classIdentifier:
        out.classId = asBytes(v, at, 64);
        break;
      case SUIT_PARAMETER.imageDigest:
        out.imageDigest = parseDigest(decodeWrapped(v, at), at);
        break;
      case SUIT_PARAMETER.componentSlot:
        out.slot = asUint(v, at);
        break;
      case SUIT_PARAMETER.imageSize:
        out.imageSize = asUint(v, at);
        break;
      case SUIT_PARAMETER.uri:
        out.uri = asText(v, at);
        break;
      default:
        break;
    }
  }
  return out;
}

/** `directive-set-component-index` argument: an index, `true` (all) or an array of indices. */
function componentIndices(value: unknown, count: number, where: string): number[] {
  const check = (i: unknown): number => {
    const n = asUint(i, where);
    if (n >= count) throw malformed(where, `component index ${n} is not below the ${count} components`);
    return n;
  };
  if (value === true) return Array.from({ length: count }, (_, i) => i);
  if (Array.isArray(value)) return value.map(check);
  return [check(value)];
}

/** Where a command sequence's parameter settings go. */
interface ParameterSink {
  set(components: readonly number[], parameters: SuitParameters): void;
  /** One map per branch of a try-each: component index → the parameters that branch set. */
  tryEach(branches: readonly Map<number, MutableParameters>[]): void;
}

function branchSink(into: Map<number, MutableParameters>): ParameterSink {
  return {
    set(components, parameters) {
      for (const c of components) into.set(c, { ...into.get(c), ...parameters });
    },
    tryEach() {
      // a try-each nested in a branch is not interpreted (its parameters are not reported)
    },
  };
}

/**
 * Interprets the parameter-setting commands of a command sequence (a byte string wrapping
 * `[command, argument, ...]`): `directive-set-component-index`, `directive-override-parameters`
 * and `directive-try-each`. Conditions and other directives are left to the installer.
 */
function interpret(
  wrapped: unknown,
  where: string,
  count: number,
  sink: ParameterSink,
  depth: number,
  start: readonly number[],
): void {
  const commands = asArray(decodeWrapped(wrapped, where), where);
  if (commands.length % 2 !== 0) throw malformed(where, 'a command sequence is [command, argument] pairs');
  let current = start;
  for (let i = 0; i < commands.length; i += 2) {
    const at = `${where}[${i}]`;
    const command = asInt(commands[i], at);
    const argument = commands[i + 1];
    if (command === SUIT_COMMAND.directiveSetComponentIndex) {
      current = componentIndices(argument, count, at);
    } else if (command === SUIT_COMMAND.directiveOverrideParameters) {
      sink.set(current, parseParameters(argument, at));
    } else if (command === SUIT_COMMAND.directiveTryEach) {
      if (depth >= MAX_TRY_EACH_DEPTH)
        throw malformed(at, `try-each nested deeper than ${MAX_TRY_EACH_DEPTH}`);
      const branches = asArray(argument, at).flatMap((branch, j) => {
        if (branch === null) return [];
        const into = new Map<number, MutableParameters>();
        interpret(branch, `${at}.try-each[${j}]`, count, branchSink(into), depth + 1, current);
        return [into];
      });
      sink.tryEach(branches);
    }
  }
}

/**
 * The components of a manifest and the parameters its shared sequence sets for each, plus the
 * `uri` its install and payload-fetch sequences set (their other parameters apply to those steps
 * only and are not reported). A severed sequence that the envelope did not carry is skipped.
 * @throws {UpdateRejectedError} `malformed` (with `detail.where`).
 */
export function readComponents(
  common: Map<unknown, unknown>,
  members: ReadonlyMap<number, unknown>,
): SuitComponent[] {
  const where = 'manifest.common.components';
  const list = asArray(common.get(SUIT_COMMON_KEY.components), where);
  if (list.length === 0 || list.length > MAX_COMPONENTS) {
    throw malformed(where, `a manifest declares 1 to ${MAX_COMPONENTS} components, not ${list.length}`);
  }
  const ids = list.map((id, i) =>
    asArray(id, `${where}[${i}]`).map((b, j) => asBytes(b, `${where}[${i}][${j}]`)),
  );
  const parameters: MutableParameters[] = ids.map(() => ({}));
  const alternatives: MutableParameters[][] = ids.map(() => []);
  const shared = common.get(SUIT_COMMON_KEY.sharedSequence);
  if (shared !== undefined) {
    interpret(
      shared,
      'manifest.common.shared-sequence',
      ids.length,
      {
        set(components, p) {
          for (const c of components) Object.assign(parameters[c]!, p);
        },
        tryEach(branches) {
          for (const branch of branches) for (const [c, p] of branch) alternatives[c]!.push(p);
        },
      },
      0,
      [0],
    );
  }
  for (const [key, name] of [
    [SUIT_MANIFEST_KEY.payloadFetch, 'payload-fetch'],
    [SUIT_MANIFEST_KEY.install, 'install'],
  ] as const) {
    const sequence = members.get(key);
    if (!(sequence instanceof Uint8Array)) continue;
    const uris: ParameterSink = {
      set(components, p) {
        if (p.uri !== undefined) for (const c of components) parameters[c]!.uri = p.uri;
      },
      tryEach() {},
    };
    interpret(sequence, `manifest.${name}`, ids.length, uris, 0, [0]);
  }
  return ids.map((id, i) => ({
    id,
    ...parameters[i],
    ...(alternatives[i]!.length > 0 ? { alternatives: alternatives[i] } : {}),
  }));
}
