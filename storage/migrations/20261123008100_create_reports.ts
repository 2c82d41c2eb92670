import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Rules p.13: the half-yearly reports to the authorized body as stored — immutable: the report's
  // canonical JSON and its SHA-256 are written once; sending stamps when and to whom, once.
  // A later revision of the same half-year is a new row (a correction), never an edit.
  await db.schema.createTable('reports', (t) => {
    t.increments('id');
    t.string('period', 16).notNullable(); // 2026-H1 | 2026-H2
    t.integer('revision').notNullable();
    t.string('from_date', 10).notNullable();
    t.string('to_date', 10).notNullable();
    t.text('data').notNullable();
    t.string('sha256', 64).notNullable();
    t.string('origin', 16).notNullable(); // schedule | operator | cli
    t.string('created_at', 32).notNullable();
    t.integer('created_by').references('users.id');
    t.string('created_by_login', 64);
    t.string('sent_at', 32);
    t.integer('sent_by').references('users.id');
    t.string('sent_by_login', 64);
    // JSON: the authorized body's users it went to [{userId, login, fullName, email}].
    t.text('sent_to');
    // The one-row-per-revision rule is what makes the scheduled job store a half-year once.
    t.unique(['period', 'revision']);
    t.index(['sent_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('reports');
}
