import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // A journal of acceptances under way (server/deposits/recovery.ts): written before the tag
  // `deposit/vN` and the act are made, removed once the act is in place. A row still here at start
  // was cut by a crash: without its deposit row, the tag and the staged act are undone; with it, the
  // staged act is published.
  await db.schema.createTable('deposit_intents', (t) => {
    t.increments('id');
    t.integer('system_id').notNullable().references('systems.id');
    t.integer('version').notNullable();
    t.string('tag', 64).notNullable();
    t.string('started_at', 32).notNullable();
    t.unique(['system_id', 'version']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('deposit_intents');
}
