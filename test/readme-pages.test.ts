import { describeReadmeExample } from './support/readme-transcript.js';

// The README's example of pages (The HTTP API, "Reading a long history: pages").
describeReadmeExample("the README's example of pages", 'test/readme-pages.test.ts', [
  'bash',
  'curl',
  'jq',
]);
