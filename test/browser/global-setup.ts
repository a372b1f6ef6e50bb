import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds the dashboard before any test runs, when it is missing or stale, so that the
 * browser tests exercise the current sources even without `npm run build` first. A failed
 * build does not stop the other suites: the browser tests report it (see chromium.ts).
 */
export default function buildDashboard(): void {
  const script = fileURLToPath(new URL('../../scripts/build-web.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.status !== 0) {
    console.warn(`\nsessionlog: the dashboard build failed:\n${result.stderr}`);
  }
}
