import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the module `name` beside `from` (an `import.meta.url`). The
 * CLI runs the built JavaScript (dist/…/name.js); the tests and `tsx` run the TypeScript
 * sources, where a worker would not know .ts files: there it first registers tsx (a dev
 * dependency, present wherever the sources run) in the new thread, then imports the module.
 */
export function startWorker(from: string, name: string): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from));
  const source = new URL(`./${name}.ts`, from).href;
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`,
    { eval: true },
  );
}
