import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Which system holds which LFS object: the blob store is shared and content-addressed, but an oid
  // is only ever served through a system it was uploaded to.
  await db.schema.createTable('lfs_objects', (t) => {
    t.integer('system_id').notNullable().references('systems.id');
    t.string('oid', 64).notNullable();
    t.bigInteger('size').notNullable();
    t.integer('uploaded_by').references('users.id');
    t.string('created_at', 32).notNullable();
    t.primary(['system_id', 'oid']);
    t.index(['oid']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('lfs_objects');
}
