import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangeWindow } from '../src/watcher/change-window.js';
import type { FileChange } from '../src/watcher/file-change.js';
import { ignorePatterns } from '../src/watcher/ignore-patterns.js';
import { type CappedBurst, RateCap } from '../src/watcher/rate-cap.js';
import { TokenBucket } from '../src/watcher/token-bucket.js';
import { watchFilter } from '../src/watcher/watch-filter.js';
import { DEFAULT_IGNORE, DEFAULT_WATCH_OPTIONS } from '../src/watcher/watch-options.js';

describe('the debounce window', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const windowed = () => {
    const emitted: FileChange[] = [];
    return { window: new ChangeWindow(300, (c) => emitted.push(c)), emitted };
  };

  it.each([
    [['created', 'modified'], [['created', 'file']]],
    [['created', 'modified', 'deleted'], []],
    [['modified', 'modified'], [['modified', 'file']]],
    [['modified', 'deleted'], [['deleted', 'file']]],
    [['deleted', 'created'], [['modified', 'file']]],
    [['deleted', 'created', 'deleted'], [['deleted', 'file']]],
  ] as const)('reports %j within 300 ms as %j', (sequence, expected) => {
    const { window, emitted } = windowed();
    for (const change of sequence) window.push('a.txt', change, 'file');
    vi.advanceTimersByTime(299);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(emitted).toEqual(expected.map(([change, kind]) => ({ change, path: 'a.txt', kind })));
  });

  it('reports a file replaced by a directory as deleted, then created', () => {
    const { window, emitted } = windowed();
    window.push('out', 'deleted', 'file');
    window.push('out', 'created', 'dir');
    vi.advanceTimersByTime(300);
    expect(emitted).toEqual([
      { change: 'deleted', path: 'out', kind: 'file' },
      { change: 'created', path: 'out', kind: 'dir' },
    ]);
  });

  it('keeps its window fixed, so that a file written without pause is still reported', () => {
    const { window, emitted } = windowed();
    for (let ms = 0; ms < 1000; ms += 100) {
      window.push('log.txt', 'modified', 'file');
      vi.advanceTimersByTime(100);
    }
    expect(emitted.length).toBeGreaterThanOrEqual(3);
  });

  it('reports paths in the order of their first change, and drains on close', () => {
    const { window, emitted } = windowed();
    window.push('b', 'created', 'file');
    vi.advanceTimersByTime(100);
    window.push('a', 'created', 'file');
    window.push('b', 'modified', 'file');
    vi.advanceTimersByTime(200);
    expect(emitted.map((c) => c.path)).toEqual(['b']);
    window.drain();
    expect(emitted.map((c) => c.path)).toEqual(['b', 'a']);
    vi.advanceTimersByTime(1000);
    expect(emitted).toHaveLength(2);
  });
});

describe('the rate cap', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.parse('2026-11-21T05:00:00.000Z') }));
  afterEach(() => vi.useRealTimers());

  const capped = () => {
    const bursts: CappedBurst[] = [];
    return { cap: new RateCap(DEFAULT_WATCH_OPTIONS, (b) => bursts.push(b)), bursts };
  };
  const offer = (cap: RateCap, count: number) => {
    let taken = 0;
    for (let i = 0; i < count; i++) {
      if (cap.take()) taken++;
      else cap.skip();
    }
    return taken;
  };

  it('lets 2 s worth through at once, then 100 a second, and summarizes the rest once', () => {
    const { cap, bursts } = capped();
    expect(offer(cap, 1000)).toBe(200);
    vi.advanceTimersByTime(500);
    expect(offer(cap, 1000)).toBe(50);
    expect(bursts).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(bursts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(bursts).toEqual([
      {
        count: 1750,
        from: new Date('2026-11-21T05:00:00.000Z'),
        to: new Date('2026-11-21T05:00:00.500Z'),
        caps: ['100 changes/s'],
      },
    ]);
    vi.advanceTimersByTime(60_000);
    expect(bursts).toHaveLength(1);
  });

  it('summarizes a burst that never stops at least once a minute', () => {
    const { cap, bursts } = capped();
    for (let ms = 0; ms < 130_000; ms += 500) {
      offer(cap, 500);
      vi.advanceTimersByTime(500);
    }
    expect(bursts.map((b) => b.to.getTime() - b.from.getTime())).toEqual([60_000, 60_000]);
    vi.advanceTimersByTime(1000);
    expect(bursts).toHaveLength(3);
    // 200 at once, then 100/s from the first offer to the last (129.5 s later).
    const recorded = 200 + 100 * 129.5;
    expect(bursts.reduce((sum, b) => sum + b.count, 0)).toBe(130 * 1000 - recorded);
  });

  it('shares a directory’s cap between its sessions, and names it in their summaries', () => {
    const directory = new TokenBucket(150, 2000, '150 changes/s per directory');
    const bursts: CappedBurst[][] = [[], [], []];
    const caps = bursts.map(
      (b) => new RateCap(DEFAULT_WATCH_OPTIONS, (x) => b.push(x), [directory]),
    ) as [RateCap, RateCap, RateCap];
    // 300 at once for the three sessions together, however the changes are spread.
    expect(caps.map((cap) => offer(cap, 150))).toEqual([150, 150, 0]);
    vi.advanceTimersByTime(500);
    // 75 more half a second later; what the directory left out cost the session nothing.
    expect(offer(caps[2], 1000)).toBe(75);
    for (const cap of caps) cap.flush();
    expect(bursts.map((b) => b.map(({ count, caps }) => ({ count, caps })))).toEqual([
      [],
      [],
      [{ count: 150 + 925, caps: ['150 changes/s per directory'] }],
    ]);
  });

  it('shares the server’s cap between every session', () => {
    const server = new TokenBucket(50, 2000, '50 changes/s per server');
    const bursts: CappedBurst[] = [];
    const busy = new RateCap(DEFAULT_WATCH_OPTIONS, () => {}, [server]);
    const quiet = new RateCap(DEFAULT_WATCH_OPTIONS, (b) => bursts.push(b), [server]);
    expect(offer(busy, 100)).toBe(100);
    expect(offer(quiet, 10)).toBe(0);
    quiet.flush();
    expect(bursts.map(({ count, caps }) => ({ count, caps }))).toEqual([
      { count: 10, caps: ['50 changes/s per server'] },
    ]);
  });

  it('stays out of the way of a session that changes less than the cap', () => {
    const { cap, bursts } = capped();
    for (let i = 0; i < 1000; i++) {
      expect(cap.take()).toBe(true);
      vi.advanceTimersByTime(20);
    }
    cap.flush();
    expect(bursts).toEqual([]);
  });
});

describe('what is watched', () => {
  const ignored = ignorePatterns(DEFAULT_IGNORE);

  it.each([
    'node_modules',
    'packages/app/node_modules/react/index.js',
    '.git/HEAD',
    'dist/main.js',
    'web/build',
    'coverage/lcov.info',
    '.cache/x',
    '.next/server',
    'src/__pycache__/m.pyc',
    '.idea/workspace.xml',
    '.vscode/settings.json',
    'src/.main.ts.swp',
    'src/main.ts~',
    'src/.#main.ts',
  ])('ignores %s by default', (path) => {
    expect(ignored(path)).toBe(true);
  });

  it.each(['src/main.ts', 'distribution/notes.md', 'builder.ts', 'docs/git.md', 'swp.txt'])(
    'watches %s',
    (path) => {
      expect(ignored(path)).toBe(false);
    },
  );

  it('never watches outside the root, nor the files it is told to leave out', () => {
    const filter = watchFilter(
      '/work/app',
      { ...DEFAULT_WATCH_OPTIONS, exclude: new Set(['/work/app/data/log.db']) },
      () => {},
    );
    expect(filter.ignored('/work/app')).toBe(false);
    expect(filter.ignored('/work/app/src/a.ts')).toBe(false);
    expect(filter.ignored('/work/other/a.ts')).toBe(true);
    expect(filter.ignored('/work/app-2/a.ts')).toBe(true);
    expect(filter.ignored('/work/app/data/log.db')).toBe(true);
    expect(filter.relativePath('/work/app/src/a.ts')).toBe('src/a.ts');
    expect(filter.relativePath('/work')).toBeUndefined();
  });
});
