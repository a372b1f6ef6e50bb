import { describeReadmeExample } from './support/readme-transcript.js';

// The README's worked example for auditors (For auditors, "A worked example"): the session,
// then checking the log against a saved checkpoint, then an insider's tampering.
describeReadmeExample(
  "the README's example for auditors",
  'test/readme-auditors.test.ts',
  ['bash', 'curl', 'jq', 'sqlite3'],
  ['session', 'checkpoints', 'tampering'],
);
