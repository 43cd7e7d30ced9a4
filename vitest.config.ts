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
  },
});
