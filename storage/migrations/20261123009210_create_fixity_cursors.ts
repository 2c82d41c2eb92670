import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Where the scrubber stopped, per kind of object (blob, lfs, repo, deposit, package, report, audit):
  // a restart continues from `position`, so a terabyte store is covered over time. `cycle_started_at`
  // and `last_full_cycle_*` give the age of the oldest unchecked object without a row per object.
  // The totals feed the Prometheus counters the same in every process.
  await db.schema.createTable('fixity_cursors', (t) => {
    t.string('object_kind', 16).primary();
    t.text('position');
    t.integer('cycle').notNullable();
    t.string('cycle_started_at', 32).notNullable();
    t.string('last_full_cycle_started_at', 32);
    t.string('last_full_cycle_finished_at', 32);
    t.string('updated_at', 32).notNullable();
    t.bigInteger('objects_total').notNullable().defaultTo(0);
    t.bigInteger('bytes_total').notNullable().defaultTo(0);
    t.bigInteger('findings_total').notNullable().defaultTo(0);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('fixity_cursors');
}
