import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

/** Every module specifier imported (statically) by `file` and the modules it reaches. */
function importsReachableFrom(file: string, seen = new Set<string>(), bare = new Set<string>()): Set<string> {
  if (seen.has(file)) return bare;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.'))
      importsReachableFrom(join(dirname(file), spec.replace(/\.js$/, '.ts')), seen, bare);
    else bare.add(spec);
  }
  return bare;
}

describe('@healthit/platform root entry', () => {
  it('loads no database driver and no Node built-in', () => {
    const bare = importsReachableFrom(join(SRC, 'index.ts'));
    expect([...bare].sort()).toEqual(['@healthit/core', 'rxjs']);
  });

  it('keeps each backend on its own subpath', () => {
    expect(importsReachableFrom(join(SRC, 'pglite/index.ts'))).toEqual(
      new Set(['@electric-sql/pglite', '@healthit/core']),
    );
    expect(importsReachableFrom(join(SRC, 'postgres/index.ts'))).toEqual(new Set(['@healthit/core', 'pg']));
  });
});
