// Step-up: sensitive operations (changing an integration's secret or a technician's role,
// removing an authenticator, revealing a vault password, running an action) need a second
// factor proved recently, not only at sign-in. Call requireFreshSecondFactor at the start of
// such an operation; it throws FreshSecondFactorRequired (403 step_up_required) otherwise.
import type { Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import { FreshSecondFactorRequired, MfaVerifiedSessionRequired } from './mfa-errors.ts';
import { mustUseSecondFactor, readSecuritySettings } from './mfa.ts';
import type { Principal } from './roles.ts';
import { findTechnician } from '../stores/auth-accounts.ts';

export interface StepUpDeps {
  db: Kysely<Database>;
  clock: Clock;
}

/**
 * Passes when the principal's session proved a second factor within the configured window
 * (security settings, 15 minutes by default). A technician with no second factor, where none is
 * required, has nothing to step up with and passes: the step-up is as strong as the account.
 * API tokens cannot prove a fresh factor, so for accounts with one they are refused.
 */
export async function requireFreshSecondFactor({ db, clock }: StepUpDeps, principal: Principal): Promise<void> {
  const settings = await readSecuritySettings(db);
  const technician = await findTechnician(db, principal.technicianId);
  if (!technician || !mustUseSecondFactor(technician, settings)) return;
  const windowMs = settings.stepUpMinutes * 60_000;
  const provedAt = principal.via === 'session' ? principal.secondFactorAt : null;
  if (provedAt && clock.now().getTime() - provedAt.getTime() <= windowMs) return;
  throw new FreshSecondFactorRequired(settings.stepUpMinutes, principal.via === 'api_token');
}

/** API tokens outlive sessions: for an account that must use MFA, only a session that proved it may create one. */
export async function requireMfaVerifiedSessionForApiToken({ db }: Pick<StepUpDeps, 'db'>, principal: Principal): Promise<void> {
  const settings = await readSecuritySettings(db);
  const technician = await findTechnician(db, principal.technicianId);
  if (!technician || !mustUseSecondFactor(technician, settings)) return;
  if (principal.via === 'session' && principal.secondFactorAt) return;
  throw new MfaVerifiedSessionRequired();
}
