// Builds the dashboard (web/ → dist/web/) when it is missing or older than its sources.
// `npm run build` runs it (so `npm install`, `npm start` and `npm test` do too); a vitest
// globalSetup runs it before the browser tests. `--force` builds regardless.
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${repo}dist/web`;
const inputsFile = `${outDir}/build-inputs.json`;

/** Why the build is out of date, or undefined when it is current. */
export function staleReason() {
  if (!existsSync(`${outDir}/index.html`) || !existsSync(inputsFile)) return 'no build yet';
  const { startedAt, inputs } = JSON.parse(readFileSync(inputsFile, 'utf8'));
  for (const input of inputs) {
    const path = `${repo}${input}`;
    if (!existsSync(path)) return `${input} is gone`;
    if (statSync(path).mtimeMs > startedAt) return `${input} changed`;
  }
  return undefined;
}

/**
 * Builds into a fresh directory and swaps it in, so that a server serving `dist/web` (or a
 * second build running at the same time) never sees a half-written build.
 */
export async function buildDashboard({ force = false } = {}) {
  const reason = force ? 'forced' : staleReason();
  if (reason === undefined) return { built: false };
  const { build } = await import('vite');
  const started = Date.now();
  const staging = `${outDir}.building-${process.pid}`;
  const old = `${outDir}.old-${process.pid}`;
  try {
    await build({
      configFile: `${repo}web/vite.config.ts`,
      build: { outDir: staging },
      logLevel: 'warn',
    });
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(staging, outDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  return { built: true, reason, ms: Date.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await buildDashboard({ force: process.argv.includes('--force') });
  if (result.built) console.log(`dashboard built in ${result.ms} ms (${result.reason})`);
}
