import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDb, type Db } from '../../storage/db.js';
import { recordAudit, verifyAuditChain } from '../../server/audit/service.js';

let dir: string;
let db: Db;
const clock = () => new Date('2026-03-19T05:00:00Z');
const actor = { userId: 1, orgId: 1, login: 'admin', ip: '127.0.0.1' };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qoima-audit-'));
  db = openDb({ sqliteFile: join(dir, 'q.sqlite') });
  await migrate(db);
  for (let i = 1; i <= 5; i++) {
    await db.transaction((trx) => recordAudit(trx, clock, actor, { action: 'test.event', subjectType: 'thing', subjectId: i, details: { n: i } }));
  }
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit hash chain', () => {
  it('verifies an untouched chain', async () => {
    expect(await verifyAuditChain({ db, clock })).toEqual({ ok: true, checked: 5 });
  });

  it('names the row whose content was edited', async () => {
    await db('audit_events').where({ id: 3 }).update({ details: JSON.stringify({ n: 999 }) });
    const verdict = await verifyAuditChain({ db, clock });
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBad).toEqual({ id: 3, reason: 'content_changed' });
    expect(verdict.checked).toBe(2);
  });

  it('names the row after a deleted one', async () => {
    await db('audit_events').where({ id: 2 }).delete();
    const verdict = await verifyAuditChain({ db, clock });
    expect(verdict.firstBad).toEqual({ id: 3, reason: 'chain_broken' });
  });

  it('detects a row rewritten with a recomputed hash by the broken link after it', async () => {
    const row = await db('audit_events').where({ id: 4 }).first();
    await db('audit_events').where({ id: 4 }).update({ hash: 'f'.repeat(64), actor_login: 'mallory' });
    const verdict = await verifyAuditChain({ db, clock });
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBad?.id).toBe(4);
    expect(row.hash).not.toBe('f'.repeat(64));
  });
});
