import { runConformanceTests } from '@durable-streams/server-conformance-tests';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { startScratchStreams } from './support/scratch-streams.js';

/**
 * The read-path tests of @durable-streams/server-conformance-tests against sessionlog's read
 * code. The suite writes the streams it reads (PUT, POST), so a scratch in-memory store from
 * test/support takes the writes and hands every GET and HEAD to src/http/streams. Groups and
 * tests left out, and why:
 */
const LEFT_OUT: Record<string, string> = {
  'Basic Stream Operations': 'write path: create and delete',
  'Append Operations': 'write path: appends and Stream-Seq',
  'TTL and Expiry Validation': 'write path: TTL on create (sessionlog streams never expire)',
  'Case-Insensitivity': 'write path: content types on create and append',
  'Content-Type Validation': 'write path: content type of appends',
  'TTL and Expiry Edge Cases': 'write path: TTL on create',
  'HEAD Metadata Edge Cases': 'TTL metadata: sessionlog streams never expire',
  'TTL Expiration Behavior': 'sessionlog streams never expire',
  'Idempotent Producer Operations': 'write path: producers',
  // Closure is read (a deleted session's stream is closed); the scratch store closes streams
  // for the read groups of Stream Closure.
  'Create with Stream-Closed': 'write path: closed on create',
  'Close Operations': 'write path: closing by POST',
  'Idempotent Producers with Stream Closure': 'write path: producers',
  'close-with-different-body-dedup: Retry close with different body deduplicates to original':
    'write path: producers',
  'Sequence Ordering Properties': 'write path: Stream-Seq',
  'Concurrent Writer Stress Tests': 'write path: concurrent writers',
  'Operation Sequence Properties': 'write path: random appends with Stream-Seq',
  'State Hash Verification': 'write path: appends checked by hash',
  'Fork - Creation': 'forks are created by writes',
  'Fork - Reading': 'forks are created by writes',
  'Fork - Appending': 'forks are created by writes',
  'Fork - Recursive': 'forks are created by writes',
  'Fork - Live Modes': 'forks are created by writes',
  'Fork - Deletion and Lifecycle': 'forks are created by writes',
  'Fork - TTL and Expiry': 'forks are created by writes',
  'Fork - JSON Mode': 'forks are created by writes',
  'Fork - Edge Cases': 'forks are created by writes',
  // Single tests of read groups that check the writer or what sessionlog does not have:
  'should return correct headers on PUT': 'write path',
  'should return 200 on idempotent PUT with same config': 'write path',
  'should return 409 on PUT with different config': 'write path',
  'should return correct headers on POST': 'write path',
  'should return 404 on POST to non-existent stream': 'write path',
  'should return 409 on content-type mismatch': 'write path',
  'should return 404 on DELETE non-existent stream': 'write path',
  'should return 204 on successful DELETE': 'write path',
  'should enforce sequence ordering': 'write path: Stream-Seq',
  'should enforce lexicographic seq ordering ("2" then "10" rejects)': 'write path: Stream-Seq',
  'should allow lexicographic seq ordering ("09" then "10" succeeds)': 'write path: Stream-Seq',
  'should reject duplicate seq values': 'write path: Stream-Seq',
  'should include X-Content-Type-Options: nosniff on PUT responses': 'write path',
  'should include X-Content-Type-Options: nosniff on POST responses': 'write path',
  'should reject empty POST body with 400': 'write path',
  'should enforce case-sensitive seq ordering': 'write path: Stream-Seq',
  'should return Location header on 201': 'write path',
  'should reject missing Content-Type on POST': 'write path',
  'should accept PUT without Content-Type (use default)': 'write path',
  'should allow PUT with empty array body (creates empty stream)': 'write path',
  'should reject POST with empty array body': 'write path',
  'should reject invalid JSON with 400': 'write path',
  'should reject empty JSON arrays with 400': 'write path',
  'should allow If-None-Match in CORS preflight responses':
    'CORS: sessionlog serves its streams to its own origin and --allow-origin only',
};

const config = { baseUrl: '', longPollTimeoutMs: 1500 };
let scratch: Awaited<ReturnType<typeof startScratchStreams>> | undefined;

describe('Durable Streams conformance of the read code (read-path subset)', () => {
  beforeAll(async () => {
    scratch = await startScratchStreams({
      longPollMs: config.longPollTimeoutMs,
      sseMs: 60_000,
      cacheScope: 'public',
      maxChunkBytes: 1024 * 1024,
    });
    config.baseUrl = scratch.url;
  });
  afterAll(async () => {
    await scratch?.close();
  });
  beforeEach((context) => {
    const names: string[] = [];
    for (let task: { name: string; suite?: unknown } | undefined = context.task; task; ) {
      names.push(task.name);
      task = task.suite as typeof task;
    }
    const left = names.map((name) => LEFT_OUT[name]).find((why) => why !== undefined);
    if (left !== undefined) context.skip(left);
  });
  runConformanceTests(config);
});
