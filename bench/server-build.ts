import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/**
 * Why this checkout's server build (`dist/`, what `npm start` and `bin/sessionlog.js` run) is
 * older than its sources, or undefined when every `src/**.ts` has its `.js` at least as new.
 */
export function serverBuildStale(): string | undefined {
  const src = join(REPO, 'src');
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const source = join(entry.parentPath, entry.name);
    const path = relative(src, source);
    const output = path.replace(/\.ts$/, '.js');
    const built = join(REPO, 'dist', output);
    if (!existsSync(built)) return `dist/${output} is missing`;
    if (statSync(built).mtimeMs < statSync(source).mtimeMs) return `src/${path} changed`;
  }
  return undefined;
}

/**
 * The bench's sessionlog servers run the build, as users do: the same code run through tsx
 * (esbuild's transform, with its `__name` calls) cost 6 % more CPU per POST (0.937, 90 %
 * interval 0.917–0.959, 60 paired rounds). Timing a stale build would prove nothing.
 */
export function assertServerBuilt(): void {
  const stale = serverBuildStale();
  if (stale !== undefined)
    throw new Error(`the server build is not current (${stale}): npm run build`);
}
