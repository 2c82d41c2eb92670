import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Applications (Rules p.7, Annex 1): the whole form is kept as canonical JSON (what was signed); the
  // columns beside it are what lists, filters and the register need.
  await db.schema.createTable('applications', (t) => {
    t.increments('id');
    t.string('number', 32).unique();
    t.string('status', 16).notNullable(); // draft | submitted | registered | rejected
    t.integer('org_id').references('organizations.id'); // the government body the application is for
    t.integer('created_by').notNullable().references('users.id');
    t.integer('created_by_org_id').notNullable().references('organizations.id');
    t.boolean('on_behalf').notNullable().defaultTo(false); // a paper application entered by operator staff
    t.integer('year'); // of submission (Asia/Almaty), for the list filter
    t.string('system_code', 64);
    t.string('complex_name', 1000);
    t.string('applicant', 1000);
    t.string('signer_name', 300); // the head who signed (Annex 2 "applicant")
    t.string('commissioning_kind', 32);
    t.string('commissioned_on', 10);
    t.string('application_date', 10);
    t.text('search_text'); // lower-cased number, code, names: case-insensitive search on SQLite too
    t.text('form').notNullable();
    t.string('form_sha256', 64);
    t.integer('signed_by').references('users.id');
    t.string('signed_by_name', 300);
    t.string('signed_at', 32);
    t.string('submitted_at', 32);
    t.string('received_on', 10);
    t.string('registered_at', 32);
    t.integer('system_id').references('systems.id');
    t.string('rejected_at', 32);
    t.text('reject_reason');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.index(['org_id', 'status']);
    t.index(['status']);
    t.index(['year']);
    t.index(['system_code']);
    t.index(['system_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('applications');
}
