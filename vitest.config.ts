import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Builds the dashboard when it is missing or stale, for the browser tests.
    globalSetup: ['test/browser/global-setup.ts'],
  },
});
