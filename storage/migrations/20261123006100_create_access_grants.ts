import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Rules p.10: read access to a system's repository and accepted deposits granted to a government
  // body for reuse or recovery. A grant is never deleted: revoking stamps it, expiry is a date.
  await db.schema.createTable('access_grants', (t) => {
    t.increments('id');
    t.integer('system_id').notNullable().references('systems.id');
    t.integer('org_id').notNullable().references('organizations.id');
    t.string('purpose', 16).notNullable();
    t.string('basis', 1000).notNullable();
    // ISO-8601 UTC instant after which the grant no longer works; null: until revoked.
    t.string('expires_at', 32);
    // Restriction to one accepted deposit version (tag deposit/vN); null: the whole repository.
    t.integer('version');
    t.integer('request_id');
    t.integer('granted_by');
    t.string('granted_at', 32).notNullable();
    t.string('revoked_at', 32);
    t.integer('revoked_by');
    t.string('revoke_reason', 1000);
    t.index(['system_id']);
    t.index(['org_id', 'system_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('access_grants');
}
