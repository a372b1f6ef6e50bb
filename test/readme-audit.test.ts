import { describeReadmeExample } from './support/readme-transcript.js';

// The README's example of sessionlog audit (For auditors, "Auditing a running server").
describeReadmeExample("the README's example of sessionlog audit", 'test/readme-audit.test.ts', [
  'bash',
  'curl',
  'jq',
]);
