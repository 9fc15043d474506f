import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/nodes/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/pack/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/faults/**/*.test.ts', 'test/fuzz/**/*.test.ts', 'palettes/*/test/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['./test/helpers/global-setup.ts'],
    // Node tests run a real Node-RED per file; two cores: keep to two workers.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
