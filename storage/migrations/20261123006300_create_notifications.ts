import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // In-app notifications: one row per recipient user, rendered in the reader's language when shown
  // (kind + params), so a user who switches language reads old notices in the new one.
  await db.schema.createTable('notifications', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id');
    t.string('kind', 64).notNullable();
    t.text('params').notNullable();
    t.string('link', 500);
    // Set for notices that must go out once only (the daily deadline digest: `deadlines:<date>`).
    t.string('dedupe_key', 100);
    t.string('created_at', 32).notNullable();
    t.string('read_at', 32);
    t.index(['user_id', 'read_at']);
    t.unique(['user_id', 'dedupe_key']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('notifications');
}
