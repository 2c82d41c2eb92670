import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Completeness and integrity findings of each accepted version (messages rendered from code + params).
  await db.schema.createTable('deposit_findings', (t) => {
    t.increments('id');
    t.integer('deposit_id').notNullable().references('deposits.id');
    t.string('code', 64).notNullable();
    t.string('severity', 16).notNullable();
    t.text('path');
    t.text('params').notNullable();
    t.index(['deposit_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('deposit_findings');
}
