import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running `module` (a URL without its extension, next to the caller's file):
 * the built `.js` as the CLI runs it, or, when the caller runs from its TypeScript source (the
 * tests), the `.ts` through tsx's loader, which plain Node cannot load in a worker (a
 * worker's `--import` is not honoured on Node 20). tsx is a development dependency: only the
 * source needs it.
 */
export function startWorker(module: URL, options: WorkerOptions): Worker {
  const built = new URL(`${module.href}.js`);
  if (existsSync(fileURLToPath(built))) return new Worker(built, options);
  const source = new URL(`${module.href}.ts`);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
