import { describeReadmeExample } from './support/readme-transcript.js';

// The README's example of the OpenAPI document ("For client authors and operators").
describeReadmeExample(
  "the README's example of the OpenAPI document",
  'test/readme-openapi.test.ts',
  ['bash', 'curl', 'jq'],
);
