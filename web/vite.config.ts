import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const web = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * The dashboard's build: `web/` in, `dist/web/` out (what `sessionlog serve` serves). No
 * plugin is needed for Preact: Vite's own transformer (oxc) compiles JSX to Preact's runtime.
 */
export default defineConfig({
  root: web,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Browsers with native ES modules and modulepreload: no polyfill to inline.
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
  plugins: [recordInputs()],
  logLevel: 'warn',
});

/**
 * Writes `build-inputs.json` beside the build: every source file the bundle was made from
 * (the server's `evolve` included) and when the build started. `scripts/build-web.mjs`
 * rebuilds when any of them is newer, and only then.
 */
function recordInputs(): Plugin {
  const startedAt = Date.now();
  return {
    name: 'sessionlog:record-inputs',
    apply: 'build',
    generateBundle() {
      const modules = [...this.getModuleIds()]
        .filter((id) => !id.startsWith('\0') && !id.includes('/node_modules/'))
        .map((id) => relative(repo, id.split('?')[0] ?? id));
      // npm stamps installed files with a fixed date: the lock file says when packages changed.
      const inputs = [...new Set([...modules, 'web/vite.config.ts', 'package-lock.json'])].sort();
      this.emitFile({
        type: 'asset',
        fileName: 'build-inputs.json',
        source: `${JSON.stringify({ startedAt, inputs }, null, 2)}\n`,
      });
    },
  };
}
