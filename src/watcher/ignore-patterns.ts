/**
 * A test for relative paths (POSIX separators): true when any segment matches one of the
 * patterns, where `*` stands for any run of characters and everything else is literal.
 */
export function ignorePatterns(patterns: readonly string[]): (relativePath: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wildcards = patterns
    .filter((p) => p.includes('*'))
    .map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`, 's'));
  const matches = (segment: string) =>
    exact.has(segment) || wildcards.some((pattern) => pattern.test(segment));
  return (relativePath) => relativePath.split('/').some(matches);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
