/**
 * `node --import ./test/support/watch-zod.mjs …`: writes "loaded zod" on standard error each
 * time the process resolves a module of zod (the validator what only reads the log must not
 * load: test/cli-loads.test.ts).
 */
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes('/node_modules/zod/')) process.stderr.write('loaded zod\\n');
  return resolved;
}`)}`,
);
