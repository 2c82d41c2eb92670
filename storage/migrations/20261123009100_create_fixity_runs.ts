import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Fixity checks with recorded results (ISO 16363 §4.2.7, issue 12): one row per run of `qoima fsck`
  // and one per finding, so an auditor sees when the bytes were last proven and what was wrong.
  await db.schema.createTable('fixity_runs', (t) => {
    t.increments('id');
    t.string('started_at', 32).notNullable();
    t.string('finished_at', 32).notNullable();
    // null: the whole store; else the system code of `--system`.
    t.string('scope', 64);
    t.integer('objects_checked').notNullable();
    t.bigInteger('bytes_checked').notNullable();
    t.integer('finding_count').notNullable();
  });
  await db.schema.createTable('fixity_findings', (t) => {
    t.increments('id');
    t.integer('run_id').notNullable().references('fixity_runs.id');
    t.string('kind', 48).notNullable();
    t.text('subject').notNullable();
    t.text('detail').notNullable();
    t.index(['run_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('fixity_findings');
  await db.schema.dropTable('fixity_runs');
}
