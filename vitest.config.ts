import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The servers tests spawn (`serve`) log requests at info; warnings are what a test reader wants.
    env: { SESSIONLOG_LOG_LEVEL: 'warn' },
    // Builds the dashboard when it is missing or stale, for the browser tests.
    globalSetup: ['test/browser/global-setup.ts'],
  },
});
