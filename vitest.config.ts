import { defineConfig } from 'vitest/config';

// Tests import workspace packages through their `@healthit/source` export condition, i.e. from
// `src/`, so `vitest` needs no build; `npm test` still builds first to check the published `dist/`.
export default defineConfig({
  resolve: { conditions: ['@healthit/source'] },
  ssr: { resolve: { conditions: ['@healthit/source'], externalConditions: ['@healthit/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
