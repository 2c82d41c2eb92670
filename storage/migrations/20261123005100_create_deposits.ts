import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Accepted deposit versions (Rules p.9; a development of the system is a new version, rules 000):
  // one row per version, with the commit and tag it names and what the acceptance act prints.
  await db.schema.createTable('deposits', (t) => {
    t.increments('id');
    t.integer('system_id').notNullable().references('systems.id');
    t.integer('version').notNullable();
    t.string('commit_id', 40).notNullable();
    t.string('tag', 64).notNullable();
    t.string('tag_oid', 40).notNullable();
    t.string('accepted_at', 32).notNullable();
    t.integer('accepted_by').references('users.id');
    t.string('accepted_by_login', 64);
    // Why the operator accepted despite error findings (null when there were none to override).
    t.text('override_reason');
    t.integer('file_count').notNullable();
    t.bigInteger('total_size').notNullable();
    t.integer('error_count').notNullable();
    t.integer('warning_count').notNullable();
    // JSON: per-category totals, third-party components, the facts the act prints (frozen at acceptance).
    t.text('categories').notNullable();
    t.text('third_party').notNullable();
    t.text('facts').notNullable();
    // SHA-256 of the canonical file list (`sha256  size  path` lines) and of the act's PDF.
    t.string('manifest_sha256', 64).notNullable();
    t.string('act_sha256', 64).notNullable();
    // The p.9 deadline as the acceptance found it: met, met_late, or null when its clock never started.
    t.string('deadline_state', 16);
    t.unique(['system_id', 'version']);
    t.unique(['system_id', 'commit_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('deposits');
}
