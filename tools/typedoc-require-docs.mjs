// @ts-check
/**
 * TypeDoc plugin: every exported declaration of every package, and every member of an exported
 * interface or class, must carry a TSDoc comment; a missing one is an error, so `npm run docs`
 * fails until it is written.
 *
 * TypeDoc's own `validation.notDocumented` also asks for a comment on each property of anonymous
 * object types: the shapes TypeScript infers from zod schemas (`z.infer<typeof Reading>`) and from
 * function return types. Those properties have no declaration to put a comment on (they are
 * documented on the schema that defines them), so this check skips members of type literals and
 * members inherited from a documented base; everything else is required.
 */
import { DeclarationReflection, ReflectionKind, ReflectionType } from 'typedoc';

/** The kinds that need a comment (functions and methods through their signatures). */
const REQUIRED =
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.Enum |
  ReflectionKind.EnumMember |
  ReflectionKind.Variable |
  ReflectionKind.TypeAlias |
  ReflectionKind.Property |
  ReflectionKind.Accessor |
  ReflectionKind.CallSignature |
  ReflectionKind.ConstructorSignature;

/** @param {import('typedoc').Reflection} ref */
function insideTypeLiteralOrParameter(ref) {
  for (let r = ref.parent; r !== undefined; r = r.parent) {
    if (r.kindOf(ReflectionKind.Parameter)) return true;
    if (r.kindOf(ReflectionKind.TypeLiteral) && !r.parent?.kindOf(ReflectionKind.TypeAlias)) return true;
  }
  return false;
}

/** @param {import('typedoc').Reflection} ref */
function documented(ref) {
  if (ref.hasComment()) return true;
  // A signature is documented by its function's comment, and a function by its signatures'.
  if (ref.kindOf(ReflectionKind.SomeSignature) && ref.parent?.hasComment()) return true;
  if (ref instanceof DeclarationReflection) {
    const signatures =
      ref.type instanceof ReflectionType
        ? ref.type.declaration.getNonIndexSignatures()
        : ref.getNonIndexSignatures();
    if (signatures.some((s) => s.hasComment())) return true;
    if (ref.getSignature?.hasComment() || ref.setSignature?.hasComment()) return true;
  }
  return false;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.on('validateProject', (project) => {
    const missing = [];
    for (const ref of project.getReflectionsByKind(REQUIRED)) {
      if (ref.name.startsWith('__') || insideTypeLiteralOrParameter(ref)) continue;
      if (ref instanceof DeclarationReflection && ref.inheritedFrom !== undefined) continue;
      if (ref.kindOf(ReflectionKind.SomeSignature) && ref.parent?.kindOf(ReflectionKind.TypeLiteral))
        continue;
      if (ref.flags.isExternal) continue;
      if (documented(ref)) continue;
      const source = ref.sources?.[0];
      const where = source === undefined ? '' : ` (${source.fileName}:${source.line})`;
      missing.push(`${ref.getFriendlyFullName()} [${ReflectionKind[ref.kind]}]${where}`);
    }
    for (const line of missing) app.logger.error(`${project.name}: ${line} has no TSDoc comment`);
  });
}
