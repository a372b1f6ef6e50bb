import { afterEach } from 'vitest';

/**
 * Closes whatever a test left open (logs, stores, nodes), so that a failing test leaks no
 * connection; `track(x)` makes `x.close()` safe to call again and forgets `x` once closed.
 */
export function useClosables(): <T extends { close(): Promise<void> }>(closable: T) => T {
  const open = new Set<{ close(): Promise<void> }>();
  afterEach(async () => {
    const left = [...open];
    open.clear();
    await Promise.all(left.map((closable) => closable.close().catch(() => {})));
  });
  return (closable) => {
    open.add(closable);
    const close = closable.close.bind(closable);
    let closing: Promise<void> | undefined;
    closable.close = () => {
      open.delete(closable);
      closing ??= close();
      return closing;
    };
    return closable;
  };
}
