import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Deadlines of the Rules as fixed when their clock started (deadlines/rules.ts): the due date is
  // stored with the edition it was computed under, so a later calendar change rewrites no history.
  await db.schema.createTable('deadlines', (t) => {
    t.increments('id');
    t.integer('system_id').notNullable().references('systems.id');
    t.string('rule_key', 32).notNullable();
    // What the deadline is about when a rule can run more than once per system ('' otherwise):
    // `application:<id>` for p.7, one per application.
    t.string('ref', 64).notNullable().defaultTo('');
    t.string('edition', 64).notNullable();
    t.string('clause', 16).notNullable();
    t.integer('working_days').notNullable();
    t.string('start_date', 10).notNullable();
    t.string('due_date', 10).notNullable();
    t.string('met_on', 10);
    t.string('computed_at', 32).notNullable();
    t.string('met_at', 32);
    t.unique(['system_id', 'rule_key', 'ref']);
    t.index(['due_date']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('deadlines');
}
