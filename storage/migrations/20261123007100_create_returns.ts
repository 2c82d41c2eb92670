import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Rules p.11–12: one row per withdrawn system — the body's notice of the withdrawal, then the
  // transfer to the state archive (art. 13 of the National Archive Fund law) and, after it, the
  // operator admin's purge of the repository (the records and the package checksums stay).
  await db.schema.createTable('returns', (t) => {
    t.increments('id');
    t.integer('system_id').notNullable().unique().references('systems.id');
    // The notice (p.11): the withdrawal date, its basis (an order: number and date), what is asked back.
    t.string('withdrawn_on', 10).notNullable();
    t.string('basis_number', 100).notNullable();
    t.string('basis_date', 10).notNullable();
    // last_version: the last accepted version's tree; full_history: every accepted version.
    t.string('scope', 16).notNullable();
    t.string('status_before', 32).notNullable();
    t.string('notified_on', 10).notNullable();
    t.string('notified_at', 32).notNullable();
    t.integer('notified_by').references('users.id');
    t.string('notified_by_login', 64);
    // The transfer to the state archive (p.12).
    t.string('archive_act_number', 100);
    t.string('archive_act_date', 10);
    t.string('archived_at', 32);
    t.integer('archived_by').references('users.id');
    t.string('archived_by_login', 64);
    // The purge of the repository after archiving.
    t.string('purged_at', 32);
    t.integer('purged_by').references('users.id');
    t.string('purged_by_login', 64);
    t.text('purge_reason');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('returns');
}
