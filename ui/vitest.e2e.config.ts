import { defineConfig } from 'vitest/config';

// The end-to-end run drives the real app in WebKitGTK through tauri-driver; it is
// started by scripts/e2e.sh (under Xvfb, with a private HOME and TMPDIR).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    bail: 1,
    teardownTimeout: 2_000,
  },
});
