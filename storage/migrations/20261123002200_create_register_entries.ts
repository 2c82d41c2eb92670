import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // The register of received applications (Rules p.8, Annex 2): one row per registered application,
  // numbered from 1 in each year; the portal reference is the entry on the architecture portal.
  await db.schema.createTable('register_entries', (t) => {
    t.increments('id');
    t.integer('year').notNullable();
    t.integer('register_no').notNullable();
    t.integer('application_id').notNullable().unique().references('applications.id');
    t.string('received_on', 10).notNullable();
    // The body's name as it was when registered, in both languages of the printed register.
    t.string('body_name', 1000).notNullable();
    t.string('body_name_kk', 1000).notNullable();
    t.string('applicant_head', 300).notNullable();
    t.integer('accepted_by').notNullable().references('users.id');
    t.string('accepted_by_name', 300).notNullable();
    t.string('portal_ref_no', 100);
    t.string('portal_ref_date', 10);
    t.string('created_at', 32).notNullable();
    t.unique(['year', 'register_no']);
  });
  // The running number of each year: an UPDATE of this row serialises concurrent registrations.
  await db.schema.createTable('register_counters', (t) => {
    t.integer('year').primary();
    t.integer('last_no').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('register_counters');
  await db.schema.dropTable('register_entries');
}
