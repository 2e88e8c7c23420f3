import { forbidden } from '../../core/errors.js';
import type { Db } from '../../db/create-db.js';
import { isOwner, type CrateRow } from '../../db/repositories/crate.repository.js';
import { isTeamOwnerMember } from '../../db/repositories/team.repository.js';

/**
 * What a user may do with a crate, as crates.io decides it: a user owner has every right; a
 * member of a team that owns the crate may publish and yank it but not change its owners (a team
 * could otherwise add anyone, or remove the people who added it).
 */
export type OwnerRights = 'full' | 'publish' | 'none';

export async function ownerRights(db: Db, crateId: number, userId: number): Promise<OwnerRights> {
  if (await isOwner(db, crateId, userId)) return 'full';
  return (await isTeamOwnerMember(db, crateId, userId)) ? 'publish' : 'none';
}

/**
 * Refuses (403) a user without the rights `need` asks for. `hint` ends the detail of a
 * non-owner's refusal (publish tells who to ask).
 */
export async function requireOwnerRights(db: Db, crate: Pick<CrateRow, 'id' | 'name'>, userId: number, need: 'publish' | 'full', hint = ''): Promise<void> {
  const rights = await ownerRights(db, crate.id, userId);
  if (rights === 'full' || (rights === 'publish' && need === 'publish')) return;
  if (rights === 'publish') {
    throw forbidden(`members of a team that owns \`${crate.name}\` may publish and yank it, but only its user owners may change its owners`);
  }
  throw forbidden(`you are not an owner of the crate \`${crate.name}\`${hint}`);
}
