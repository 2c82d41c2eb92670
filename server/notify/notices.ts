import type { Trx } from '../../storage/db.js';
import type { Actor } from '../deps.js';
import { OPERATOR_STAFF, type NoticeParams, type Recipient } from './kinds.js';
import * as q from './queries.js';
import { enqueue } from './service.js';

/**
 * The notices other modules send, one function each, called **inside the caller's transaction**
 * right after its audit event (one line in the service): each reads what it tells about through
 * the same transaction, so the notice says what was committed.
 */

type Clock = () => Date;

/** A system's body: the owner's users, and the named developer's (who may push for it). */
function systemBody(s: q.SystemFacts, withDeveloper = false): Recipient[] {
  return withDeveloper && s.developer_org_id !== null ? [{ orgId: s.owner_org_id }, { orgId: s.developer_org_id }] : [{ orgId: s.owner_org_id }];
}

const systemParams = (s: q.SystemFacts): NoticeParams => ({ code: s.code, nameKk: s.name_kk, nameRu: s.name_ru });

async function facts(trx: Trx, applicationId: number) {
  const a = await q.applicationFacts(trx, applicationId);
  if (!a) throw new Error(`notice about a missing application ${applicationId}`);
  const params: NoticeParams = { number: a.number ?? `#${a.id}`, code: a.system_code ?? '', complexName: a.complex_name ?? '', bodyKk: a.org_name_kk ?? '', bodyRu: a.org_name_ru ?? '', bin: a.org_bin ?? '' };
  return { a, params, link: `/applications/${a.id}` };
}

async function system(trx: Trx, systemId: number) {
  const s = await q.systemFacts(trx, systemId);
  if (!s) throw new Error(`notice about a missing system ${systemId}`);
  return s;
}

/** Rules p.7: a new application reached the operator; operator staff are told. */
export async function applicationSubmitted(trx: Trx, clock: Clock, applicationId: number): Promise<void> {
  const { params, link } = await facts(trx, applicationId);
  await enqueue(trx, clock, { kind: 'application_submitted', to: [{ roles: OPERATOR_STAFF }], params, link });
}

/** Rules p.8: the body's application is in the register. */
export async function applicationRegistered(trx: Trx, clock: Clock, applicationId: number): Promise<void> {
  const { a, params, link } = await facts(trx, applicationId);
  if (a.org_id === null) return;
  await enqueue(trx, clock, { kind: 'application_registered', to: [{ orgId: a.org_id }], params: { ...params, registerNo: a.reg_no ?? '', year: a.reg_year ?? '' }, link });
}

export async function applicationRejected(trx: Trx, clock: Clock, applicationId: number): Promise<void> {
  const { a, params, link } = await facts(trx, applicationId);
  if (a.org_id === null) return;
  await enqueue(trx, clock, { kind: 'application_rejected', to: [{ orgId: a.org_id }], params: { ...params, reason: a.reject_reason ?? '' }, link });
}

/** Rules p.8: the repository is formed — the body (and its developer) get the clone URL and how to push. */
export async function repositoryFormed(trx: Trx, clock: Clock, systemId: number): Promise<void> {
  const s = await system(trx, systemId);
  await enqueue(trx, clock, { kind: 'repository_formed', to: systemBody(s, true), params: systemParams(s), link: `/systems/${s.code}/repository` });
}

/** A push was accepted into a system's repository: operator staff are told (the p.9 clock matters). */
export async function pushReceived(trx: Trx, clock: Clock, systemId: number, actor: Actor, refs: string[]): Promise<void> {
  const s = await system(trx, systemId);
  await enqueue(trx, clock, {
    kind: 'push_received',
    to: [{ roles: OPERATOR_STAFF }],
    params: { ...systemParams(s), pusher: actor.login ?? '', refs: refs.join(', '), ownerKk: s.owner_name_kk, ownerRu: s.owner_name_ru },
    link: `/systems/${s.code}`,
  });
}

/**
 * Rules p.9: the deposit was accepted as version N — for server/deposits to call in its acceptance
 * transaction: `await notices.depositAccepted(trx, deps.clock, { systemId, version, tag, commit, actLink })`.
 */
export async function depositAccepted(trx: Trx, clock: Clock, input: { systemId: number; version: number; tag: string; commit: string; actLink?: string }): Promise<void> {
  const s = await system(trx, input.systemId);
  await enqueue(trx, clock, {
    kind: 'deposit_accepted',
    to: systemBody(s),
    params: { ...systemParams(s), version: input.version, tag: input.tag, commit: input.commit, actLink: input.actLink ?? '' },
    link: input.actLink ?? `/systems/${s.code}`,
  });
}

/**
 * Rules p.11: the return package is ready — for server/returns to call in the transaction that marks
 * the package ready: `await notices.returnReady(trx, deps.clock, { systemId, link })`.
 */
export async function returnReady(trx: Trx, clock: Clock, input: { systemId: number; link?: string }): Promise<void> {
  const s = await system(trx, input.systemId);
  await enqueue(trx, clock, { kind: 'return_ready', to: systemBody(s), params: systemParams(s), link: input.link ?? `/systems/${s.code}` });
}

/**
 * Rules p.11: a body notified that its system was withdrawn from operation — operator staff are told,
 * since the deposit is due back within 3 working days; called by server/returns in the notice's
 * transaction: `await notices.decommissionNotified(trx, deps.clock, { systemId, withdrawnOn, basis, returnDue, late })`.
 */
export async function decommissionNotified(
  trx: Trx,
  clock: Clock,
  input: { systemId: number; withdrawnOn: string; basis: { number: string; date: string }; scope: 'last_version' | 'full_history'; returnDue: string; late: boolean },
): Promise<void> {
  const s = await system(trx, input.systemId);
  await enqueue(trx, clock, {
    kind: 'decommission_notified',
    to: [{ roles: OPERATOR_STAFF }],
    params: {
      ...systemParams(s), ownerKk: s.owner_name_kk, ownerRu: s.owner_name_ru, withdrawnOn: input.withdrawnOn, basisNumber: input.basis.number, basisDate: input.basis.date,
      scope: input.scope, returnDue: input.returnDue, late: input.late,
    },
    link: `/systems/${s.code}/return`,
  });
}
