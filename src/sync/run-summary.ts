// The one sentence an integration run ends with. Its figures add up from the tenant runs, and the
// tenants the run did not sync at all (inactive: an ended or waiting GDAP relationship, a reseller
// contract only) are counted with the reason, so "10 of 10 synced" never hides two more customers:
// "10 of 10 tenants synced, 2 skipped: relationship ended (2)".

export interface IntegrationRunOutcome {
  succeeded: number;
  partial: number;
  failed: number;
  cancelled: number;
  /** Tenants of the integration the run left out, by their inactive reason (tenants.inactive_reason). */
  skipped: Array<{ reason: string | null; count: number }>;
}

/** A short, groupable label for an inactive reason; discovery's sentences carry dates and statuses in parentheses. */
export function skippedReasonLabel(reason: string | null): string {
  const r = (reason ?? '').toLowerCase();
  if (r.includes('has ended')) return 'relationship ended';
  if (r.includes('waiting')) return 'relationship not approved yet';
  if (r.includes('reseller contract')) return 'no GDAP relationship';
  if (r.includes('no longer listed')) return 'no longer a customer';
  const plain = r.replace(/\s*\(.*?\)\s*/g, ' ').trim();
  return plain || 'inactive';
}

export function integrationRunSummary(o: IntegrationRunOutcome): string {
  const children = o.succeeded + o.partial + o.failed + o.cancelled;
  const synced = o.succeeded + o.partial;
  const parts = [`${synced} of ${children} tenants synced${o.partial > 0 ? ` (${o.partial} partial)` : ''}`];
  if (o.failed > 0) parts.push(`${o.failed} failed`);
  if (o.cancelled > 0) parts.push(`${o.cancelled} cancelled`);
  const byLabel = new Map<string, number>();
  for (const s of o.skipped) byLabel.set(skippedReasonLabel(s.reason), (byLabel.get(skippedReasonLabel(s.reason)) ?? 0) + s.count);
  const skipped = [...byLabel.values()].reduce((a, b) => a + b, 0);
  if (skipped > 0)
    parts.push(
      `${skipped} skipped: ${[...byLabel.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([label, n]) => `${label} (${n})`)
        .join(', ')}`,
    );
  return parts.join(', ');
}
