import { defineConfig } from 'vitest/config';

// Idle memory of the release app with a large vault (e2e/measure.bench.ts): run by
// hand through scripts/measure-app.sh, never part of the test suite.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/measure.bench.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
