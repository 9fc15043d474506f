import { defineConfig } from 'vitest/config';

// The palette's own unit tests (the conformance kit runs with node --test: test/conformance.test.mjs).
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 30_000 } });
