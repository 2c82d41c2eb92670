import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Issue 13: entries of an archive that would land outside its folder or be links when extracted
  // (`../x`, `/etc/x`, symlinks), named from the headers alone; null when none (or checked before).
  await db.schema.alterTable('archive_checks', (t) => {
    t.text('unsafe');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('archive_checks', (t) => {
    t.dropColumn('unsafe');
  });
}
