import { describe, expect, it } from 'vitest';
import { integrationRunSummary, skippedReasonLabel } from '../../../src/sync/run-summary.ts';

const none = { succeeded: 0, partial: 0, failed: 0, cancelled: 0, skipped: [] };

describe("an integration run's sentence", () => {
  it('keeps the short form when every tenant synced', () => {
    expect(integrationRunSummary({ ...none, succeeded: 3 })).toBe('3 of 3 tenants synced');
  });

  it('shows partial, failed, cancelled and skipped tenants so the figures add up', () => {
    expect(
      integrationRunSummary({
        succeeded: 8,
        partial: 2,
        failed: 1,
        cancelled: 1,
        skipped: [
          { reason: 'the GDAP relationship has ended (expired on 2026-01-31)', count: 1 },
          { reason: 'the GDAP relationship has ended (terminated)', count: 1 },
          { reason: 'no GDAP relationship (reseller contract only)', count: 1 },
        ],
      }),
    ).toBe('10 of 12 tenants synced (2 partial), 1 failed, 1 cancelled, 3 skipped: relationship ended (2), no GDAP relationship (1)');
  });

  it('names the reasons discovery gives in a few words', () => {
    expect(skippedReasonLabel('the GDAP relationship is waiting (approvalPending)')).toBe('relationship not approved yet');
    expect(skippedReasonLabel("no longer listed among the partner's customers (relationship removed)")).toBe('no longer a customer');
    expect(skippedReasonLabel(null)).toBe('inactive');
  });
});
