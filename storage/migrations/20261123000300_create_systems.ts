import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // An information system under escrow: one row, one bare repository, one lifecycle (architecture.md).
  await db.schema.createTable('systems', (t) => {
    t.increments('id');
    t.string('code', 64).notNullable().unique();
    t.string('name_kk', 1000).notNullable();
    t.string('name_ru', 1000).notNullable();
    t.integer('owner_org_id').notNullable().references('organizations.id');
    t.integer('developer_org_id').references('organizations.id');
    t.string('status', 32).notNullable();
    t.string('commissioned_on', 10);
    t.string('warranty_until', 10);
    t.string('repository_formed_at', 32);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.index(['owner_org_id']);
    t.index(['developer_org_id']);
    t.index(['status']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('systems');
}
