// Who may act on Microsoft (and reveal vault passwords): administrators, and technicians an
// administrator allowed to act (technicians.can_act). read_only never acts.
//
// STEP-UP CHECK POINT: every action run or resume and every vault reveal passes
// requireFreshSecondFactor (src/auth/step-up.ts) before doing anything: 403 step_up_required when
// the session's last second factor is older than the security settings' window.
import type { Kysely } from 'kysely';
import type { Principal } from '../auth/roles.ts';
import type { Database, TechnicianRole } from '../db/schema.ts';
import { Forbidden } from '../errors.ts';
import { findTechnician } from '../stores/auth-accounts.ts';

export { requireFreshSecondFactor } from '../auth/step-up.ts';

export interface Actor {
  id: string | null;
  label: string;
  role: TechnicianRole;
  canAct: boolean;
}

export function mayAct(actor: Pick<Actor, 'role' | 'canAct'>): boolean {
  return actor.role === 'administrator' || (actor.role === 'technician' && actor.canAct);
}

export function assertMayAct(actor: Actor): void {
  if (!mayAct(actor)) {
    throw new Forbidden(
      actor.role === 'read_only' ? 'Read-only accounts never act on Microsoft.' : 'Your account is not allowed to run lifecycle actions.',
      'Ask an administrator to allow your account to act (Accounts → "may act").',
    );
  }
}

/** The acting technician as the actions and the vault see them. */
export async function actorOf(db: Kysely<Database>, principal: Principal): Promise<Actor> {
  const row = await findTechnician(db, principal.technicianId);
  return { id: principal.technicianId, label: principal.username, role: principal.role, canAct: row?.can_act ?? false };
}
