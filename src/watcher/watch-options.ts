/** How file watching is bounded. Every field has a default; a server may override any. */
export interface WatchOptions {
  /** Directories watched at once (SPEC `--max-watchers`); 0 turns watching off. */
  maxWatchers: number;
  /**
   * Patterns for path segments that are never watched: a path is ignored when any of its
   * segments matches one. `*` stands for any run of characters (`*.swp`, `.#*`).
   */
  ignore: readonly string[];
  /** Directory levels below the cwd whose entries are watched (0: the cwd's own entries). */
  depth: number;
  /** Entries (files and directories) watched per directory; past it new ones are not. */
  maxEntries: number;
  /** Changes to one path within this many ms are recorded once, as their net effect. */
  debounceMs: number;
  /** Changes recorded per session per second, averaged over `rateWindowMs`. */
  ratePerSecond: number;
  /**
   * Changes recorded per second for all the sessions in one directory, and for the whole
   * server, averaged over `rateWindowMs` too: a change seen by n sessions is n events.
   */
  directoryRatePerSecond: number;
  serverRatePerSecond: number;
  rateWindowMs: number;
  /** A burst of changes over the rate cap ends after this long without one. */
  burstQuietMs: number;
  /** A burst that goes on is summarized at least this often. */
  burstSummaryMaxMs: number;
  /**
   * How often a watched directory is checked to still be the one watched: its removal (it is
   * held open), or a parent moved or replaced by a link, leaves no event in it.
   */
  recheckMs: number;
  /** Delay before the first retry of a failed watcher; it doubles up to `retryMaxMs`. */
  retryFirstMs: number;
  retryMaxMs: number;
}

/**
 * Build output, dependencies, caches, version control and editor folders change in bulk and
 * say nothing about the session's work; editors' swap and lock files are noise.
 */
export const DEFAULT_IGNORE: readonly string[] = [
  'node_modules',
  'bower_components',
  '.venv',
  '.git',
  '.hg',
  '.svn',
  'dist',
  'build',
  'coverage',
  '.nyc_output',
  '.cache',
  '.next',
  '.nuxt',
  '.turbo',
  '.parcel-cache',
  '.svelte-kit',
  '.vite',
  '.gradle',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
  '.tox',
  '.idea',
  '.vscode',
  '.DS_Store',
  '*.swp',
  '*.swo',
  '*.swx',
  '*~',
  '.#*',
  '.subl*.tmp',
  '#*#',
  '4913', // vim writes and deletes it to probe whether a directory is writable
];

/** The bounds of SPEC's "No waiting on the disk", and `--max-watchers`' default. */
export const DEFAULT_WATCH_OPTIONS: WatchOptions = {
  maxWatchers: 256,
  ignore: DEFAULT_IGNORE,
  depth: 20,
  maxEntries: 10_000,
  debounceMs: 300,
  ratePerSecond: 100,
  directoryRatePerSecond: 200,
  serverRatePerSecond: 1000,
  rateWindowMs: 2000,
  burstQuietMs: 1000,
  burstSummaryMaxMs: 60_000,
  recheckMs: 1000,
  retryFirstMs: 1000,
  retryMaxMs: 60_000,
};
