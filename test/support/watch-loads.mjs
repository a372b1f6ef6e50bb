/**
 * `node --import ./test/support/watch-loads.mjs …`: writes "loaded <package>" on standard
 * error the first time the process resolves a module of a package under node_modules, and
 * "loaded dist/<path>" for each of sessionlog's own built modules (what a command that only
 * reads the log must not load: test/cli-loads.test.ts). A CommonJS package required (pino
 * is, when a logger is made) passes no ESM hook: those are said as the process exits.
 */
import { createRequire, register } from 'node:module';

process.on('exit', () => {
  const required = new Set(
    Object.keys(createRequire(import.meta.url).cache).flatMap(
      (file) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? [],
    ),
  );
  for (const name of required) process.stderr.write(`required ${name}\n`);
});

register(
  `data:text/javascript,${encodeURIComponent(`
const seen = new Set();
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const name =
    /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(resolved.url)?.[1] ??
    /\\/(dist\\/.*)$/.exec(resolved.url)?.[1];
  if (name !== undefined && !seen.has(name)) {
    seen.add(name);
    process.stderr.write('loaded ' + name + '\\n');
  }
  return resolved;
}`)}`,
);
