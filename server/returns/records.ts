import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Eta } from 'eta';
import { grantsOfSystem } from '../access/queries.js';
import { toGrant } from '../access/read.js';
import { deadlinesOfSystem } from '../deadlines/service.js';
import type { DepositRow } from '../deposits/queries.js';
import { actPdf, toDepositView } from '../deposits/read.js';
import type { AppDeps } from '../deps.js';
import type { RepositoryRef } from '../git/bundle.js';
import { t, type Lang } from '../http/i18n.js';
import { fieldLabel } from '../intake/pages.js';
import { applicationById } from '../intake/queries.js';
import { toApplication } from '../intake/read.js';
import { templatesDir } from '../paths.js';
import type { SystemRow } from '../systems/queries.js';
import { HashedFile, type BagWriter } from './bag-writer.js';
import type { DepositNote } from './deposit-tree.js';
import * as q from './queries.js';

/**
 * `data/records/`: what the service knows about the system, for an archive that will not have the
 * service — the application(s) as JSON and as a printable page, the register entry, every acceptance
 * act (PDF, checked against its recorded SHA-256), the versions, the grants, the notice and the
 * deadlines, and the system's audit events as JSON lines with their hash chain (each line carries
 * every column its hash covers, so it can be recomputed; README.txt says how).
 */
export interface RecordsInput {
  system: SystemRow;
  ret: q.ReturnRow;
  pkg: q.PackageRow;
  deposits: DepositRow[];
  refs: RepositoryRef[];
  notes: DepositNote[];
  work: string;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
const views = new Eta({ views: join(templatesDir, 'views'), autoEscape: true, autoTrim: false, cache: true });

/** The leaves of a form object as `[path, value]`, in the form's order (`items.0.name`, …). */
function leaves(node: unknown, path = ''): [string, string][] {
  if (node === null || node === undefined || node === '') return [];
  if (Array.isArray(node)) return node.flatMap((v, i) => leaves(v, path ? `${path}.${i}` : String(i)));
  if (typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
  return [[path, String(node)]];
}

export async function writeRecords(deps: AppDeps, input: RecordsInput, bag: BagWriter): Promise<void> {
  const { system, ret, pkg } = input;
  const add = (path: string, content: Buffer) => bag.addPayloadBuffer(`records/${path}`, content);

  await add('README.txt', Buffer.from((['kk', 'ru', 'en'] as Lang[]).map((l) => t(l, 'returns.readme', { code: system.code, bag: pkg.bag_name })).join('\n\n----\n\n') + '\n', 'utf8'));
  const facts = await q.systemFacts(deps.db, system.id);
  await add('system.json', json(facts));

  const deadlines = await deadlinesOfSystem(deps, system.id);
  await add(
    'decommission.json',
    json({
      // Rules p.11: the notice and the return, with the deadlines as they were fixed.
      notice: { withdrawnOn: ret.withdrawn_on, basis: { number: ret.basis_number, date: ret.basis_date }, scope: ret.scope, notifiedOn: ret.notified_on, notifiedAt: ret.notified_at, notifiedBy: ret.notified_by_login, statusBefore: ret.status_before },
      package: { id: pkg.id, bagName: pkg.bag_name, startedAt: pkg.started_at, startedBy: pkg.started_by_login },
      deadlines: deadlines.map((d) => ({ rule: d.rule, clause: d.clause, edition: d.edition, workingDays: d.workingDays, startDate: d.startDate, dueDate: d.dueDate, metOn: d.metOn })),
    }),
  );

  const registerEntries: unknown[] = [];
  for (const id of await q.applicationIdsOf(deps.db, system.id)) {
    const row = await applicationById(deps.db, id);
    if (!row) continue;
    const app = toApplication(row);
    await add(`applications/application-${id}.json`, json(app));
    const rows = leaves(app.form).map(([path, value]) => ({ kk: fieldLabel('kk', path), ru: fieldLabel('ru', path), value }));
    const html = views.render('returns/application-record', { app, rows, tk: (key: string) => t('kk', key), tr: (key: string) => t('ru', key) });
    await add(`applications/application-${id}.html`, Buffer.from(html, 'utf8'));
    if (app.register) registerEntries.push({ applicationId: id, applicationNumber: app.number, ...app.register });
  }
  await add('register-entries.json', json(registerEntries));

  await add('deposits.json', json(input.deposits.map(toDepositView)));
  for (const d of [...input.deposits].sort((a, b) => a.version - b.version)) {
    const act = await actPdf(deps, system, d.version);
    await bag.addPayload({ path: `records/acts/deposit-v${d.version}-act.pdf`, size: (await stat(act.path)).size, open: () => createReadStream(act.path), expectSha256: act.sha256 });
  }

  const now = deps.clock().toISOString();
  await add('grants.json', json((await grantsOfSystem(deps.db, system.id)).map((g) => toGrant(g, now))));
  await add('refs.txt', Buffer.from(input.refs.map((r) => `${r.oid} ${r.ref}\n`).join(''), 'utf8'));
  await add('deposit-notes.json', json(input.notes));
  await writeAudit(deps, input, bag);
}

/** The audit events, paged from the database into a scratch file (hashed as written), then into the bag. */
async function writeAudit(deps: AppDeps, input: RecordsInput, bag: BagWriter): Promise<void> {
  const file = await HashedFile.create(join(input.work, 'audit-events.jsonl'));
  let count: number;
  try {
    count = await copyAuditEvents(deps, input, file);
  } catch (err) {
    await file.discard();
    throw err;
  }
  const digests = await file.close();
  await bag.addPayload({ path: 'records/audit-events.jsonl', size: file.size, open: () => createReadStream(file.path), digests });
  const head = await q.auditHead(deps.db);
  await bag.addPayloadBuffer(
    'records/audit-chain.json',
    json({
      events: count,
      // Each line's `hash` is the SHA-256 (hex) of this JSON array, written without whitespace; `details`
      // is the text as stored. `prev_hash` is the hash of the trail's previous event (of any system).
      hash: 'sha256(JSON.stringify([prev_hash, at, actor_user_id, actor_org_id, actor_login, action, subject_type, subject_id, details, ip]))',
      trailHeadAtPackaging: head ? { id: Number(head.id), hash: head.hash } : null,
    }),
  );
}

async function copyAuditEvents(deps: AppDeps, input: RecordsInput, file: HashedFile): Promise<number> {
  const applicationIds = await q.applicationIdsOf(deps.db, input.system.id);
  let after = 0;
  let count = 0;
  for (;;) {
    const rows = await q.auditPage(deps.db, { id: input.system.id, code: input.system.code, applicationIds }, after, 1000);
    if (!rows.length) return count;
    for (const r of rows) {
      const line = { id: Number(r.id), at: r.at, actor_user_id: r.actor_user_id, actor_org_id: r.actor_org_id, actor_login: r.actor_login, action: r.action, subject_type: r.subject_type, subject_id: r.subject_id, details: r.details, ip: r.ip, prev_hash: r.prev_hash, hash: r.hash };
      await file.append(JSON.stringify(line) + '\n');
      count++;
    }
    after = Number(rows[rows.length - 1].id);
  }
}
