// Sign-in budgets shared by every route that checks a password or a setup link (/api/session,
// /sign-in, /api/setup, /setup): one per client address (every attempt) and one per username
// (failed attempts, whoever sends them), so switching routes or addresses buys no extra
// guesses. Kept in memory per process, like the per-route limits it replaces; the per-account
// lockout (lockout.ts) is the durable, cross-process limit.
import type { Clock } from '../time.ts';
import { DocsyncError } from '../errors.ts';

export const SIGN_IN_BUDGET = { perAddress: 20, perUsername: 20, windowMs: 60_000 } as const;

export class TooManySignIns extends DocsyncError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super(
      `Too many sign-in attempts. Try again in ${retryAfterSeconds} seconds.`,
      'Wait a minute; if you forgot your password, ask an administrator to reset it.',
    );
  }
}

export class SignInThrottle {
  private readonly attempts = new Map<string, number[]>();
  private sinceSweep = 0;

  constructor(
    private readonly clock: Clock,
    private readonly budget: { perAddress: number; perUsername: number; windowMs: number } = SIGN_IN_BUDGET,
  ) {}

  /** Spends one attempt of the address's budget; throws when it or the username's budget is spent. */
  admit(address: string, username?: string): void {
    const now = this.clock.now().getTime();
    this.sweepSometimes(now);
    if (username !== undefined) this.refuseWhenSpent(`user:${normalizeUsername(username)}`, this.budget.perUsername, now);
    this.refuseWhenSpent(`address:${address}`, this.budget.perAddress, now);
    this.recent(`address:${address}`, now).push(now);
  }

  /** Counts a failed attempt against the username's budget. */
  recordFailure(username: string): void {
    const now = this.clock.now().getTime();
    this.recent(`user:${normalizeUsername(username)}`, now).push(now);
  }

  private refuseWhenSpent(key: string, max: number, now: number): void {
    const times = this.recent(key, now);
    if (times.length >= max) throw new TooManySignIns(Math.max(1, Math.ceil((times[0]! + this.budget.windowMs - now) / 1000)));
  }

  private recent(key: string, now: number): number[] {
    const times = (this.attempts.get(key) ?? []).filter((t) => t > now - this.budget.windowMs);
    this.attempts.set(key, times);
    return times;
  }

  private sweepSometimes(now: number): void {
    if (++this.sinceSweep < 1000) return;
    this.sinceSweep = 0;
    for (const key of [...this.attempts.keys()]) if (this.recent(key, now).length === 0) this.attempts.delete(key);
  }
}

function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}
