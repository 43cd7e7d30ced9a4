import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'codecs/**/*.test.ts', 'transports/**/*.test.ts', 'tools/**/*.test.ts', 'ui/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'ui/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: end-to-end suites run real servers and real-time audio; two at a time keeps them honest.
    maxWorkers: 2,
    // CI reads the counts from a JSON report (.ci/run prints "N passed, N failed" from it).
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: process.env.CI ? { json: '.ci/test-results.json' } : undefined,
  },
});
