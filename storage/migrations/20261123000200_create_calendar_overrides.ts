import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Government decrees that move days off (rules in templates/calendar): entered by operator admins.
  await db.schema.createTable('calendar_overrides', (t) => {
    t.string('date', 10).primary();
    t.boolean('working').notNullable();
    t.text('basis').notNullable();
    t.integer('created_by').references('users.id');
    t.string('created_at', 32).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('calendar_overrides');
}
