import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('organizations', (t) => {
    t.increments('id');
    t.string('kind', 32).notNullable();
    t.string('bin', 12).notNullable().unique();
    t.string('name_kk', 500).notNullable();
    t.string('name_ru', 500).notNullable();
    t.string('name_en', 500);
    t.string('short_name', 200);
    t.string('address', 1000);
    t.string('email', 320);
    t.string('phone', 64);
    t.string('created_at', 32).notNullable();
  });
  await db.schema.createTable('users', (t) => {
    t.increments('id');
    t.integer('org_id').notNullable().references('organizations.id');
    t.string('login', 64).notNullable().unique();
    t.string('full_name', 300).notNullable();
    t.string('role', 32).notNullable();
    t.string('password_hash', 200);
    t.string('lang', 2);
    t.string('email', 320);
    t.string('disabled_at', 32);
    t.string('created_at', 32).notNullable();
    t.index(['org_id']);
  });
  await db.schema.createTable('tokens', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('users.id');
    t.string('name', 200).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('prefix', 16).notNullable();
    t.string('scopes', 200).notNullable();
    t.string('expires_at', 32);
    t.string('revoked_at', 32);
    t.string('last_used_at', 32);
    t.string('created_at', 32).notNullable();
    t.index(['user_id']);
  });
  await db.schema.createTable('sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.integer('user_id').notNullable().references('users.id');
    t.string('created_at', 32).notNullable();
    t.string('expires_at', 32).notNullable();
    t.string('last_seen_at', 32).notNullable();
    t.index(['user_id']);
  });
  await db.schema.createTable('audit_events', (t) => {
    t.increments('id');
    t.string('at', 32).notNullable();
    t.integer('actor_user_id');
    t.integer('actor_org_id');
    t.string('actor_login', 64);
    t.string('action', 64).notNullable();
    t.string('subject_type', 32);
    t.string('subject_id', 128);
    t.text('details').notNullable();
    t.string('ip', 64);
    t.string('prev_hash', 64).notNullable();
    t.string('hash', 64).notNullable().unique();
    t.index(['subject_type', 'subject_id']);
    t.index(['action']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['audit_events', 'sessions', 'tokens', 'users', 'organizations']) {
    await db.schema.dropTable(table);
  }
}
