import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // A body's request for access to a system (reuse or recovery, rules p.10), decided by the operator.
  await db.schema.createTable('access_requests', (t) => {
    t.increments('id');
    t.integer('system_id').notNullable().references('systems.id');
    t.integer('org_id').notNullable().references('organizations.id');
    t.integer('user_id').notNullable().references('users.id');
    t.string('purpose', 16).notNullable();
    t.string('basis', 1000).notNullable();
    t.string('status', 16).notNullable();
    t.string('created_at', 32).notNullable();
    t.integer('decided_by');
    t.string('decided_at', 32);
    t.string('refuse_reason', 1000);
    t.integer('grant_id');
    t.index(['status']);
    t.index(['org_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('access_requests');
}
