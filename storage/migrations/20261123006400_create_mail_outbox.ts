import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // The e-mail outbox: written in the transaction of the state change it tells about, delivered
  // after commit by the delivery worker (server/notify/delivery.ts), retried with backoff.
  await db.schema.createTable('mail_outbox', (t) => {
    t.increments('id');
    t.integer('notification_id');
    t.integer('user_id');
    t.string('to_address', 320).notNullable();
    t.string('lang', 2).notNullable();
    t.string('kind', 64).notNullable();
    t.text('params').notNullable();
    t.string('link', 500);
    // pending → sent | failed (attempts used up) | skipped (no SMTP configured: in-app only)
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    // A pending row is taken by setting this into the future (a lease); a crashed sender's row
    // becomes due again when its lease runs out.
    t.string('next_attempt_at', 32).notNullable();
    t.string('last_error', 1000);
    t.string('created_at', 32).notNullable();
    t.string('sent_at', 32);
    t.index(['status', 'next_attempt_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('mail_outbox');
}
