import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // The scheduled scrubber (issue 12) records one run per slice of one kind of object: what started it
  // ('manual' = `qoima fsck`, 'scheduled' = the background job), which kind, the cursor range it covered
  // and the cycle of that kind it belongs to (so a finding already seen last cycle is not new).
  await db.schema.alterTable('fixity_runs', (t) => {
    t.string('trigger', 16).notNullable().defaultTo('manual');
    t.string('object_kind', 16);
    t.text('cursor_from');
    t.text('cursor_to');
    t.integer('cycle');
    t.index(['trigger', 'object_kind', 'cycle']);
  });
  await db.schema.alterTable('fixity_findings', (t) => {
    t.index(['kind', 'subject']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('fixity_findings', (t) => {
    t.dropIndex(['kind', 'subject']);
  });
  await db.schema.alterTable('fixity_runs', (t) => {
    t.dropIndex(['trigger', 'object_kind', 'cycle']);
    t.dropColumn('trigger');
    t.dropColumn('object_kind');
    t.dropColumn('cursor_from');
    t.dropColumn('cursor_to');
    t.dropColumn('cycle');
  });
}
