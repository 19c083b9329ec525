// SQL for groups and their direct members (migration T0401). A groups/delta round is applied in
// one transaction after it was read to its end, so a failed round changes nothing. Group rows
// compare before writing (content_hash); an unchanged round writes no group or member row. Groups
// gone from a complete round or deleted in a delta round are marked removed_at, never deleted.
import { sql, type Kysely } from 'kysely';
import type { Database, GroupType } from '../db/schema.ts';
import { groupTypeOf, type GraphGroupChange } from '../microsoft/groups-delta.ts';
import { contentHash } from './staging.ts';

type Db = Kysely<Database>;
const CHUNK = 500;

export interface GroupWrites {
  groups: number;
  members: number;
  removedGroups: number;
}

export async function groupsDeltaLinkOf(db: Db, tenantId: string): Promise<string | null> {
  const row = await db.selectFrom('tenant_group_sync').select('delta_link').where('tenant_id', '=', tenantId).executeTakeFirst();
  return row?.delta_link ?? null;
}

/** Applies a round read to its end; `complete`: a first round, whose absent groups and members are gone. */
export async function applyGroupChanges(
  db: Db,
  tenantId: string,
  round: { groups: GraphGroupChange[]; removedIds: string[]; deltaLink: string; complete: boolean },
  now: Date,
): Promise<GroupWrites> {
  return db.transaction().execute(async (trx) => {
    const writes: GroupWrites = { groups: 0, members: 0, removedGroups: 0 };
    const stored = new Map(
      (
        await trx.selectFrom('ms_groups').select(['group_id', 'content_hash', 'removed_at']).where('tenant_id', '=', tenantId).execute()
      ).map((g) => [g.group_id, g]),
    );
    const upserts = [];
    for (const g of round.groups) {
      const { members: _members, ...properties } = g;
      const hash = contentHash(properties);
      const before = stored.get(g.id);
      if (before && before.content_hash === hash && before.removed_at === null) continue;
      upserts.push({
        tenant_id: tenantId,
        group_id: g.id,
        display_name: g.displayName,
        group_type: groupTypeOf(g) as GroupType,
        data: JSON.stringify(properties),
        content_hash: hash,
        first_seen_at: now,
        last_seen_at: now,
        removed_at: null,
      });
    }
    for (let i = 0; i < upserts.length; i += CHUNK) {
      await trx
        .insertInto('ms_groups')
        .values(upserts.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'group_id']).doUpdateSet((eb) => ({
            display_name: eb.ref('excluded.display_name'),
            group_type: eb.ref('excluded.group_type'),
            data: eb.ref('excluded.data'),
            content_hash: eb.ref('excluded.content_hash'),
            last_seen_at: eb.ref('excluded.last_seen_at'),
            removed_at: null,
          })),
        )
        .execute();
    }
    writes.groups = upserts.length;

    const seen = new Set(round.groups.map((g) => g.id));
    const gone = new Set(round.removedIds);
    if (round.complete) for (const [id, g] of stored) if (!seen.has(id) && g.removed_at === null) gone.add(id);
    const toMark = [...gone].filter((id) => stored.get(id)?.removed_at === null);
    if (toMark.length > 0) {
      await trx
        .updateTable('ms_groups')
        .set({ removed_at: now })
        .where('tenant_id', '=', tenantId)
        .where('group_id', 'in', toMark)
        .execute();
    }
    writes.removedGroups = toMark.length;

    // Membership: a first round lists each group's members in full; a delta round adds and removes.
    const existing = await trx.selectFrom('ms_group_members').select(['group_id', 'member_id']).where('tenant_id', '=', tenantId).execute();
    const has = new Set(existing.map((m) => `${m.group_id}|${m.member_id}`));
    const add: Array<{ tenant_id: string; group_id: string; member_id: string; member_type: string; first_seen_at: Date }> = [];
    const remove: Array<[string, string]> = [];
    for (const g of round.groups) {
      const listed = new Set<string>();
      for (const m of g.members) {
        if (m.removed) {
          if (has.has(`${g.id}|${m.id}`)) remove.push([g.id, m.id]);
          continue;
        }
        listed.add(m.id);
        if (!has.has(`${g.id}|${m.id}`) && !add.some((a) => a.group_id === g.id && a.member_id === m.id))
          add.push({ tenant_id: tenantId, group_id: g.id, member_id: m.id, member_type: m.type, first_seen_at: now });
      }
      if (round.complete) for (const m of existing) if (m.group_id === g.id && !listed.has(m.member_id)) remove.push([g.id, m.member_id]);
    }
    if (round.complete) for (const m of existing) if (!seen.has(m.group_id)) remove.push([m.group_id, m.member_id]);
    for (let i = 0; i < add.length; i += CHUNK)
      await trx
        .insertInto('ms_group_members')
        .values(add.slice(i, i + CHUNK))
        .execute();
    for (const [groupId, memberId] of remove) {
      await trx
        .deleteFrom('ms_group_members')
        .where('tenant_id', '=', tenantId)
        .where('group_id', '=', groupId)
        .where('member_id', '=', memberId)
        .execute();
    }
    writes.members = add.length + remove.length;

    const link = await trx.selectFrom('tenant_group_sync').select('delta_link').where('tenant_id', '=', tenantId).executeTakeFirst();
    if (link?.delta_link !== round.deltaLink) {
      await trx
        .insertInto('tenant_group_sync')
        .values({ tenant_id: tenantId, delta_link: round.deltaLink, synced_at: now })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ delta_link: round.deltaLink, synced_at: now }))
        .execute();
    }
    return writes;
  });
}

/** Forgets the change feed (Microsoft's 410): the next round starts over and lists everything. */
export async function resetGroupsDeltaLink(db: Db, tenantId: string): Promise<void> {
  await db.updateTable('tenant_group_sync').set({ delta_link: null }).where('tenant_id', '=', tenantId).execute();
}

export interface GroupRow {
  groupId: string;
  displayName: string;
  description: string | null;
  type: GroupType;
  mail: string | null;
  /** Users in the group, nested groups included, each once (present users only). */
  userCount: number;
  /** Direct members that are groups. */
  nestedGroupCount: number;
}

/** The tenant's present groups with their member counts (users through nested groups too), by name. */
export async function tenantGroups(db: Db, tenantId: string): Promise<GroupRow[]> {
  const rows = await sql<{
    group_id: string;
    display_name: string | null;
    group_type: GroupType;
    data: Record<string, unknown> | string;
    user_count: string;
    nested: string;
  }>`
    with recursive reach(root, group_id) as (
      select g.group_id, g.group_id from ms_groups g where g.tenant_id = ${tenantId} and g.removed_at is null
      union
      select r.root, m.member_id from reach r
        join ms_group_members m on m.tenant_id = ${tenantId} and m.group_id = r.group_id and m.member_type = 'group'
    )
    select g.group_id, g.display_name, g.group_type, g.data,
      (select count(distinct m.member_id) from reach r
         join ms_group_members m on m.tenant_id = ${tenantId} and m.group_id = r.group_id and m.member_type = 'user'
         join ms_users u on u.tenant_id = ${tenantId} and u.user_id = m.member_id and u.removed_at is null
       where r.root = g.group_id) as user_count,
      (select count(*) from ms_group_members m
       where m.tenant_id = ${tenantId} and m.group_id = g.group_id and m.member_type = 'group') as nested
    from ms_groups g
    where g.tenant_id = ${tenantId} and g.removed_at is null
    order by lower(coalesce(g.display_name, g.group_id)), g.group_id`.execute(db);
  return rows.rows.map((r) => {
    const data = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as { description?: string | null; mail?: string | null };
    return {
      groupId: r.group_id,
      displayName: r.display_name ?? r.group_id,
      description: data.description ?? null,
      type: r.group_type,
      mail: data.mail ?? null,
      userCount: Number(r.user_count),
      nestedGroupCount: Number(r.nested),
    };
  });
}

/** User ids in a group (nested groups included), as a subquery for user lists that filter by group. */
export function usersInGroupSql(tenantId: string, groupId: string) {
  return sql<string>`(
    with recursive reach(group_id) as (
      select ${groupId}::text
      union
      select m.member_id from reach r
        join ms_group_members m on m.tenant_id = ${tenantId} and m.group_id = r.group_id and m.member_type = 'group'
    )
    select m.member_id from reach r
      join ms_group_members m on m.tenant_id = ${tenantId} and m.group_id = r.group_id and m.member_type = 'user'
  )`;
}

/** The tenant's departments (from its present users), for the user list's filter. */
export async function tenantDepartments(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('ms_users')
    .select(sql<string>`data->>'department'`.as('department'))
    .distinct()
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .where(sql`data->>'department'`, 'is not', null)
    .orderBy('department')
    .execute();
  return rows.map((r) => r.department);
}

/** The integration's groups with these ids (case-insensitive), each with its tenant's row id and name. */
export async function groupsOfIntegrationByIds(db: Db, integrationId: string, groupIds: string[]) {
  return db
    .selectFrom('ms_groups as g')
    .innerJoin('tenants as t', 't.id', 'g.tenant_id')
    .select(['g.group_id', 'g.display_name', 't.id as tenant_row_id', 't.display_name as tenant_name'])
    .where('t.integration_id', '=', integrationId)
    .where(
      sql<string>`lower(g.group_id)`,
      'in',
      groupIds.map((id) => id.toLowerCase()),
    )
    .execute();
}
