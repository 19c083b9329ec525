// Technician accounts (technicians) as the rest of docsync reads them: the actions ask whether
// a technician may still act. Sign-in, setup and account changes are src/auth/accounts.ts's.
import type { Kysely } from 'kysely';
import type { Database, Technician } from '../db/schema.ts';

type Db = Kysely<Database>;

/** One technician, or undefined. */
export async function findTechnician(db: Db, technicianId: string): Promise<Technician | undefined> {
  return db.selectFrom('technicians').selectAll().where('id', '=', technicianId).executeTakeFirst();
}
