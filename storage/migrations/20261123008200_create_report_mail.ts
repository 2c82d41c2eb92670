import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // The e-mails that carry a sent report's PDF to the authorized body's users: written in the
  // transaction that sends the report, delivered after commit (SMTP), retried, then failed.
  await db.schema.createTable('report_mail', (t) => {
    t.increments('id');
    t.integer('report_id').notNullable().references('reports.id');
    t.integer('user_id').references('users.id');
    t.string('to_address', 320).notNullable();
    t.string('lang', 2).notNullable();
    // pending → sent | failed (attempts used up) | skipped (no SMTP configured)
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    // A pending row is taken by moving this into the future (a lease), as the notify outbox does.
    t.string('next_attempt_at', 32).notNullable();
    t.string('last_error', 1000);
    t.string('created_at', 32).notNullable();
    t.string('sent_at', 32);
    t.index(['status', 'next_attempt_at']);
    t.index(['report_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('report_mail');
}
