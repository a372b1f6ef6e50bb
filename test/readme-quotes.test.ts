import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the README', () => {
  it('quotes test/readme-testing.test.ts, the example for test authors, exactly as it runs', () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = readFileSync('test/readme-testing.test.ts', 'utf8');
    const quoted = readme.includes(`\`\`\`ts\n${example}\`\`\``);
    expect(
      quoted,
      'copy test/readme-testing.test.ts into the README section for test authors',
    ).toBe(true);
  });
});
