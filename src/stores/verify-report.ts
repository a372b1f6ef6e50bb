import type { ChainReport } from '../events/chain-check.js';
import type { ReportOutput } from './log-backend.js';

/** The chain, the end and the triggers, as lines; returns the positions found bad (0: none). */
export function reportChain(chain: ChainReport, out: ReportOutput): number[] {
  const bad: number[] = [];
  if (chain.broken === undefined) {
    out.log(`chain        ${chain.events} events, positions 1..${chain.head}, every hash intact`);
  } else {
    bad.push(chain.broken.position);
    out.log(`chain        BROKEN at position ${chain.broken.position}: ${chain.broken.reason}`);
  }
  if (chain.keysBeyondHead !== undefined) {
    bad.push(chain.head + 1);
    out.log(
      `end          TRUNCATED: idempotency keys name position ${chain.keysBeyondHead}, the log ends at ${chain.head}`,
    );
  }
  const { missingTriggers: missing, alteredTriggers: altered } = chain;
  if (missing.length === 0 && altered.length === 0) out.log('append-only  triggers in place');
  else {
    bad.push(0);
    if (missing.length > 0) out.log(`append-only  MISSING triggers: ${missing.join(', ')}`);
    if (altered.length > 0) out.log(`append-only  ALTERED triggers: ${altered.join(', ')}`);
  }
  return bad;
}

export function conclude(bad: readonly number[], out: ReportOutput): number {
  if (bad.length === 0) {
    out.log('OK');
    return 0;
  }
  const first = Math.min(...bad.filter((position) => position > 0));
  out.log(`FAILED: first disagreement at position ${Number.isFinite(first) ? first : '-'}`);
  return 1;
}
