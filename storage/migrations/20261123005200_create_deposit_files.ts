import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // The inventory of each accepted version, file by file, so reports and diffs never walk repositories.
  await db.schema.createTable('deposit_files', (t) => {
    t.integer('deposit_id').notNullable().references('deposits.id');
    t.text('path').notNullable();
    t.string('category', 32).notNullable();
    t.bigInteger('size').notNullable();
    // Of the content; for an LFS file, the LFS object's oid (its content's SHA-256).
    t.string('sha256', 64);
    t.string('git_oid', 40).notNullable();
    t.string('mode', 6).notNullable();
    t.string('file_type', 32).notNullable();
    t.boolean('lfs').notNullable();
    // For an LFS file: whether the blob store held the object, for this system, with the right size.
    t.boolean('lfs_present');
    t.primary(['deposit_id', 'path']);
    t.index(['deposit_id', 'category']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('deposit_files');
}
