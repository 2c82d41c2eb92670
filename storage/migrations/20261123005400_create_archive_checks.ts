import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Archive integrity results by content SHA-256: content-addressed, so a result never goes stale and
  // an installer of several GB is read once, not on every inventory.
  await db.schema.createTable('archive_checks', (t) => {
    t.string('sha256', 64).primary();
    t.string('format', 16).notNullable();
    t.string('result', 16).notNullable();
    t.text('detail');
    t.integer('entries');
    t.string('checked_at', 32).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('archive_checks');
}
