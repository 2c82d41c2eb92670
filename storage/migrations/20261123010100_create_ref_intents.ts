import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // A journal of ref moves under way (server/repositories/intents.ts): a push writes its row when its
  // pre-receive passes, an API upload before its commit; both remove it in the transaction that
  // records the move (audit event, status). A row still here after the repository lock is released,
  // or at start, was cut between git and the database: what landed in git is recorded then.
  await db.schema.createTable('ref_intents', (t) => {
    t.increments('id');
    t.integer('system_id').notNullable().references('systems.id');
    // push: details {updates: [{ref, old, new}]}; upload: details {path, category, sha256, size, lfs}
    t.string('kind', 16).notNullable();
    t.text('actor').notNullable();
    t.text('details').notNullable();
    t.string('started_at', 32).notNullable();
    t.index(['system_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('ref_intents');
}
