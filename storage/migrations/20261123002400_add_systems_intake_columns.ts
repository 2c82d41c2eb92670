import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Intake fills these from the application: a developer typed in by name when it is not a known
  // organisation, and the architecture-portal registration date when that started the p.7 clock.
  await db.schema.alterTable('systems', (t) => {
    t.string('developer_name', 1000);
    t.string('portal_registered_on', 10);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('systems', (t) => {
    t.dropColumn('developer_name');
    t.dropColumn('portal_registered_on');
  });
}
