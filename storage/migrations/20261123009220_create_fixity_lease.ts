import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // The scrubber runs in one process at a time however many serve the store: the holder renews the
  // lease with each slice; another process takes it over only once it has expired (holder crashed).
  await db.schema.createTable('fixity_lease', (t) => {
    t.string('name', 32).primary();
    t.string('holder', 64);
    t.bigInteger('expires_at_ms').notNullable();
  });
  await db('fixity_lease').insert({ name: 'scrubber', holder: null, expires_at_ms: 0 });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('fixity_lease');
}
