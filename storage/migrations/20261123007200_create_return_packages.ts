import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  // Rules p.11: the return package (a BagIt bag as zip and tar) is built by a tracked job,
  // generating → ready | failed; a failed one may be retried, so a return has one or more rows.
  await db.schema.createTable('return_packages', (t) => {
    t.increments('id');
    t.integer('return_id').notNullable().references('returns.id');
    t.integer('system_id').notNullable().references('systems.id');
    t.string('status', 16).notNullable();
    t.string('bag_name', 128).notNullable();
    t.string('started_at', 32).notNullable();
    t.integer('started_by').references('users.id');
    t.string('started_by_login', 64);
    t.string('finished_at', 32);
    // Which process builds it (`host pid boot`) and when it last reported: a crash is recognised by these.
    t.string('worker', 200).notNullable();
    t.string('heartbeat_at', 32).notNullable();
    // Progress for the UI: the phase and bytes written of the (estimated) total.
    t.string('phase', 16).notNullable();
    t.bigInteger('bytes_done').notNullable();
    t.bigInteger('bytes_total').notNullable();
    t.integer('files_done').notNullable();
    // What the finished bag holds (Payload-Oxum) and the two files' sizes and SHA-256.
    t.bigInteger('payload_bytes');
    t.integer('payload_files');
    t.bigInteger('zip_size');
    t.string('zip_sha256', 64);
    t.bigInteger('tar_size');
    t.string('tar_sha256', 64);
    t.text('error');
    t.index(['system_id', 'status']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('return_packages');
}
