import type { Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { listAudit, type AuditEntry } from '../audit/service.js';
import { deadlinesOfSystem, type Deadline } from '../deadlines/service.js';
import type { ServiceDeps } from '../deps.js';
import { SystemConflict, SystemInvalidState, SystemNotFound } from './errors.js';
import { SYSTEM_STATUSES, type SystemStatus } from './policy.js';
import * as q from './queries.js';

/** A system as the API and the pages show it. */
export interface SystemView {
  id: number;
  code: string;
  nameKk: string;
  nameRu: string;
  status: SystemStatus;
  owner: { id: number; bin: string; nameKk: string; nameRu: string };
  developer: { id: number | null; bin: string | null; name: string | null };
  commissionedOn: string | null;
  portalRegisteredOn: string | null;
  warrantyUntil: string | null;
  repositoryFormedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toSystemView(r: q.SystemListRow): SystemView {
  return {
    id: Number(r.id),
    code: r.code,
    nameKk: r.name_kk,
    nameRu: r.name_ru,
    status: r.status,
    owner: { id: Number(r.owner_org_id), bin: r.owner_bin, nameKk: r.owner_name_kk, nameRu: r.owner_name_ru },
    developer: {
      id: r.developer_org_id === null ? null : Number(r.developer_org_id),
      bin: r.developer_bin,
      name: r.developer_name_ru ?? r.developer_name,
    },
    commissionedOn: r.commissioned_on,
    portalRegisteredOn: r.portal_registered_on,
    warrantyUntil: r.warranty_until,
    repositoryFormedAt: r.repository_formed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The day 12 months after `date` (the last day of the month when that month is shorter). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

export interface RegisterSystemInput {
  code: string;
  name: string;
  ownerOrgId: number;
  developerOrgId: number | null;
  developerName: string | null;
  commissioning: { kind: 'industrial_operation' | 'portal_registration'; date: string };
}

/** Statuses after which a system takes no new application: it is being, or has been, handed back. */
const WITHDRAWN: SystemStatus[] = ['decommission_notified', 'returned', 'archived'];

/**
 * The system of a registered application (Rules p.8): a new code creates the record in `registered`;
 * a known code of the same owner attaches to it, moving it from `applied` to `registered` if it was
 * there (a later application — a new version — leaves its status alone). Runs inside the registration's
 * transaction, whose audit event records it. Returns whether the system became `registered` now.
 */
export async function registerSystem(trx: Trx, deps: Pick<ServiceDeps, 'clock'>, input: RegisterSystemInput): Promise<{ system: q.SystemRow; created: boolean; registered: boolean }> {
  const now = deps.clock().toISOString();
  const commissioned = input.commissioning.kind === 'industrial_operation' ? input.commissioning.date : null;
  const existing = await q.systemByCode(trx, input.code);
  if (!existing) {
    const row = {
      code: input.code,
      name_kk: input.name,
      name_ru: input.name,
      owner_org_id: input.ownerOrgId,
      developer_org_id: input.developerOrgId,
      developer_name: input.developerOrgId ? null : input.developerName,
      status: 'registered' as const,
      commissioned_on: commissioned,
      portal_registered_on: commissioned ? null : input.commissioning.date,
      // Rules 000 p.16.9: a 12-month warranty from commissioning into industrial operation.
      warranty_until: commissioned ? addMonths(commissioned, 12) : null,
      repository_formed_at: null,
      created_at: now,
      updated_at: now,
    };
    const id = await q.insertSystem(trx, row);
    return { system: { id, ...row }, created: true, registered: true };
  }
  if (Number(existing.owner_org_id) !== input.ownerOrgId) throw new SystemConflict('system_code_taken', { code: input.code });
  if (WITHDRAWN.includes(existing.status)) throw new SystemInvalidState('system_withdrawn', { code: input.code, status: existing.status });
  const patch: Partial<q.SystemRow> = { updated_at: now };
  const registered = existing.status === 'applied';
  if (registered) patch.status = 'registered';
  if (!existing.developer_org_id && input.developerOrgId) patch.developer_org_id = input.developerOrgId;
  if (!existing.commissioned_on && commissioned) {
    patch.commissioned_on = commissioned;
    patch.warranty_until = addMonths(commissioned, 12);
  }
  await q.updateSystem(trx, existing.id, patch);
  return { system: { ...existing, ...patch }, created: false, registered };
}

export interface SystemDetail extends SystemView {
  deadlines: Deadline[];
  events: AuditEntry[];
}

/** The systems the principal may see, with optional filters. */
export async function listSystems(deps: ServiceDeps, principal: Principal, filter: q.SystemFilter = {}): Promise<SystemView[]> {
  return (await q.listSystemRowsFor(deps.db, principal, { ...filter, search: filter.search?.toLowerCase() })).map(toSystemView);
}

/** One system with its deadlines and events; a system the principal may not see is not found. */
export async function getSystem(deps: ServiceDeps, principal: Principal, code: string): Promise<SystemDetail> {
  const row = await q.systemRowFor(deps.db, principal, code);
  if (!row) throw new SystemNotFound();
  const id = Number(row.id);
  const [deadlines, byId, byCode] = await Promise.all([
    deadlinesOfSystem(deps, id),
    listAudit(deps, { subjectType: 'system', subjectId: String(id), limit: 200 }),
    listAudit(deps, { subjectType: 'system', subjectId: row.code, limit: 200 }),
  ]);
  const events = [...byId, ...byCode].sort((a, b) => a.id - b.id);
  return { ...toSystemView(row), deadlines, events };
}

export async function systemCounts(deps: ServiceDeps, principal: Principal): Promise<Record<SystemStatus, number>> {
  const counts = await q.countSystemsByStatus(deps.db, principal);
  return Object.fromEntries(SYSTEM_STATUSES.map((s) => [s, counts[s] ?? 0])) as Record<SystemStatus, number>;
}
