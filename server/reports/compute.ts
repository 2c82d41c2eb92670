import { almatyDate, type WorkingCalendar } from '../calendar/types.js';
import { CATEGORY_KEYS } from '../deposits/classify.js';
import { deadlineStatus } from '../deadlines/engine.js';
import { CURRENT_EDITION, isRuleKey, RULE_KEYS, ruleOf, type RuleKey } from '../deadlines/rules.js';
import type { BodyLine, ComplianceLine, ExceptionLine, OrgRef, ReportData, SystemRef } from './model.js';
import { REPORT_SCHEMA_VERSION } from './model.js';
import { monthsOf, type Period } from './period.js';
import type * as q from './queries.js';

/**
 * The report's figures from the facts of a period: pure, so the same facts and calendar always give
 * the same report. Each figure counts an event in the period it happened in (an application received,
 * a repository formed, a version accepted, a grant given, a notice received…); deadlines count where
 * they were met, and those still open at the end of the period are listed as open in it.
 */
export interface Facts {
  applications: q.ApplicationFact[];
  formed: { id: number; formed_at: string }[];
  submissions: { action: string; n: number }[];
  deposits: q.DepositFact[];
  categories: { category: string; files: number; bytes: number }[];
  grants: q.GrantFact[];
  returns: q.ReturnFact[];
  deadlines: q.DeadlineFact[];
  systems: q.SystemFact[];
  orgs: q.OrgFact[];
}

export interface BuildOptions {
  period: Period;
  /** Today in Asia/Almaty: a period not yet ended is a draft judged as of today. */
  today: string;
  generatedAt: string;
}

const day = (iso: string | null) => (iso ? almatyDate(new Date(iso)) : null);
const within = (date: string | null, p: { from: string; to: string }) => date !== null && date >= p.from && date <= p.to;

/** The day an application was received: the day entered in the register, else the day it was submitted. */
export const receivedOn = (a: q.ApplicationFact) => a.received_on ?? day(a.submitted_at);

/** The system ids and organisation ids the facts mention (to load their names). */
export function referencedIds(f: Omit<Facts, 'systems' | 'orgs'>): { systems: Set<number>; orgs: Set<number> } {
  const systems = new Set<number>([...f.formed.map((x) => x.id), ...f.deposits.map((d) => d.system_id), ...f.grants.map((g) => g.system_id), ...f.returns.map((r) => r.system_id), ...f.deadlines.map((d) => d.system_id)]);
  const orgs = new Set<number>([...f.applications.flatMap((a) => (a.org_id === null ? [] : [a.org_id])), ...f.grants.map((g) => g.org_id)]);
  return { systems, orgs };
}

export function buildReport(f: Facts, calendar: WorkingCalendar, o: BuildOptions): ReportData {
  const { period } = o;
  const draft = period.to >= o.today;
  const asOf = draft ? o.today : period.to;
  const p = { from: period.from, to: asOf };
  const orgs = new Map(f.orgs.map((x) => [x.id, x]));
  const systems = new Map(f.systems.map((s) => [s.id, s]));
  const orgRef = (id: number | null): OrgRef => {
    const x = id === null ? undefined : orgs.get(id);
    return { bin: x?.bin ?? '', nameKk: x?.name_kk ?? '', nameRu: x?.name_ru ?? '' };
  };
  const systemRef = (id: number): SystemRef => {
    const s = systems.get(id);
    return { code: s?.code ?? `#${id}`, nameKk: s?.name_kk ?? '', nameRu: s?.name_ru ?? '' };
  };
  const ownerOf = (systemId: number) => systems.get(systemId)?.owner_org_id ?? null;

  // Per government body: one line per organisation that appears in the period.
  const bodies = new Map<number, BodyLine>();
  // A fact without a known body (never expected: submitted applications and systems have one) is
  // counted in the totals and on a line that is not printed.
  const unknownBody: BodyLine = { ...orgRef(null), received: 0, registered: 0, rejected: 0, formed: 0, newSystems: 0, newVersions: 0, bytes: 0, grants: 0, notices: 0, returns: 0, late: 0, overdue: 0 };
  const body = (orgId: number | null): BodyLine => {
    if (orgId === null) return unknownBody;
    let line = bodies.get(orgId);
    if (!line) {
      line = { ...orgRef(orgId), received: 0, registered: 0, rejected: 0, formed: 0, newSystems: 0, newVersions: 0, bytes: 0, grants: 0, notices: 0, returns: 0, late: 0, overdue: 0 };
      bodies.set(orgId, line);
    }
    return line;
  };

  const months = new Map(monthsOf(period.from, period.to).map((m) => [m, { month: m, received: 0, registered: 0, accepted: 0 }]));
  const inMonth = (date: string | null, key: 'received' | 'registered' | 'accepted') => {
    const m = date ? months.get(date.slice(0, 7)) : undefined;
    if (m) m[key]++;
  };

  // Rules p.7–8: applications received, and registered or rejected.
  const applications = { received: 0, registered: 0, rejected: 0 };
  for (const a of f.applications) {
    const received = receivedOn(a);
    if (within(received, p)) {
      applications.received++;
      body(a.org_id).received++;
      inMonth(received, 'received');
    }
    if (a.status === 'registered' && within(day(a.registered_at), p)) {
      applications.registered++;
      body(a.org_id).registered++;
      inMonth(day(a.registered_at), 'registered');
    }
    if (a.status === 'rejected' && within(day(a.rejected_at), p)) {
      applications.rejected++;
      body(a.org_id).rejected++;
    }
  }

  const formed = f.formed.filter((x) => within(day(x.formed_at), p));
  for (const x of formed) body(ownerOf(x.id)).formed++;

  // Rules p.9: versions accepted; version 1 is a new system, later versions are developments.
  const accepted = f.deposits.filter((d) => within(day(d.accepted_at), p));
  const deposits = { accepted: accepted.length, newSystems: 0, newVersions: 0, files: 0, bytes: 0, overridden: 0 };
  const exceptions: ExceptionLine[] = [];
  for (const d of accepted) {
    const line = body(ownerOf(d.system_id))!;
    const kind = d.version === 1 ? 'newSystems' : 'newVersions';
    deposits[kind]++;
    line[kind]++;
    deposits.files += d.file_count;
    deposits.bytes += d.total_size;
    line.bytes += d.total_size;
    inMonth(day(d.accepted_at), 'accepted');
    if (d.override_reason) {
      deposits.overridden++;
      exceptions.push({ kind: 'override', date: day(d.accepted_at)!, system: systemRef(d.system_id), body: orgRef(ownerOf(d.system_id)), rule: 'acceptance', clause: ruleOf('acceptance').clause, dueDate: null, workingDaysLate: null, version: d.version, reason: d.override_reason });
    }
  }
  const volumes = new Map(f.categories.map((c) => [c.category, c]));
  const categories = [...CATEGORY_KEYS, 'root', 'other']
    .map((c) => ({ category: c, files: volumes.get(c)?.files ?? 0, bytes: volumes.get(c)?.bytes ?? 0 }))
    .filter((c) => c.files > 0 || (CATEGORY_KEYS as string[]).includes(c.category));

  // Rules p.10: access granted, by purpose and by the body it went to.
  const access = { granted: 0, reuse: 0, recovery: 0, revoked: 0, bodies: 0 };
  const grantees = new Map<number, { reuse: number; recovery: number }>();
  for (const g of f.grants) {
    if (within(day(g.revoked_at), p)) access.revoked++;
    if (!within(day(g.granted_at), p)) continue;
    access.granted++;
    const purpose = g.purpose === 'recovery' ? 'recovery' : 'reuse';
    access[purpose]++;
    const line = grantees.get(g.org_id) ?? { reuse: 0, recovery: 0 };
    line[purpose]++;
    grantees.set(g.org_id, line);
    body(g.org_id).grants++;
  }
  access.bodies = grantees.size;

  // Rules p.11–12: notices of withdrawal, returns, transfers to the state archive.
  const decommission = { notices: 0, returns: 0, archiveTransfers: 0 };
  for (const r of f.returns) {
    const line = body(ownerOf(r.system_id))!;
    if (within(day(r.notified_at), p)) {
      decommission.notices++;
      line.notices++;
    }
    if (within(day(r.returned_at), p)) {
      decommission.returns++;
      line.returns++;
    }
    if (within(day(r.archived_at), p)) decommission.archiveTransfers++;
  }

  const compliance = complianceOf(f, calendar, p, asOf, (d, status) => {
    const line = body(ownerOf(d.system_id))!;
    const rule = d.rule_key as RuleKey;
    if (status.state === 'met_late') line.late++;
    else line.overdue++;
    exceptions.push({ kind: status.state === 'met_late' ? 'late' : 'overdue', date: status.state === 'met_late' ? d.met_on! : asOf, system: systemRef(d.system_id), body: orgRef(ownerOf(d.system_id)), rule, clause: d.clause, dueDate: d.due_date, workingDaysLate: status.workingDaysLate, version: null, reason: null });
  });

  const submissions = { pushes: 0, uploads: 0 };
  for (const s of f.submissions) submissions[s.action === 'repository.pushed' ? 'pushes' : 'uploads'] += s.n;

  const byName = (a: OrgRef, b: OrgRef) => a.nameRu.localeCompare(b.nameRu, 'ru') || a.bin.localeCompare(b.bin);
  return {
    schema: REPORT_SCHEMA_VERSION,
    period: { key: period.key, from: period.from, to: period.to, dueDate: period.dueDate },
    draft,
    asOf,
    generatedAt: o.generatedAt,
    edition: { id: CURRENT_EDITION.id, title: CURRENT_EDITION.title },
    totals: { applications, repositoriesFormed: formed.length, submissions, deposits, access, decommission },
    categories,
    grantees: [...grantees].map(([orgId, n]) => ({ ...orgRef(orgId), ...n })).sort(byName),
    compliance,
    bodies: [...bodies.values()].sort(byName),
    monthly: [...months.values()],
    exceptions: exceptions.sort((a, b) => a.date.localeCompare(b.date) || a.system.code.localeCompare(b.system.code) || a.kind.localeCompare(b.kind)),
  };
}

type Status = ReturnType<typeof deadlineStatus>;

/**
 * Rules pp.7–9, 11: per rule, deadlines met in the period on time or late (with the working days
 * late, as the deadline engine counts them), and those open at its end — of which past due.
 */
function complianceOf(f: Facts, calendar: WorkingCalendar, p: { from: string; to: string }, asOf: string, exception: (d: q.DeadlineFact, s: Status) => void): ComplianceLine[] {
  const lines = new Map<RuleKey, ComplianceLine>(
    RULE_KEYS.map((key) => {
      const rule = ruleOf(key);
      return [key, { rule: key, clause: rule.clause, party: rule.party, workingDays: rule.workingDays, onTime: 0, late: 0, lateWorkingDays: 0, maxLateWorkingDays: 0, open: 0, overdue: 0 }];
    }),
  );
  for (const d of f.deadlines) {
    if (!isRuleKey(d.rule_key) || d.start_date > asOf) continue;
    const line = lines.get(d.rule_key)!;
    const metOn = d.met_on !== null && d.met_on <= asOf ? d.met_on : null;
    if (metOn !== null && metOn < p.from) continue;
    const status = deadlineStatus(calendar, { dueDate: d.due_date, metOn }, asOf);
    if (status.state === 'met') line.onTime++;
    else if (status.state === 'met_late') {
      line.late++;
      line.lateWorkingDays += status.workingDaysLate ?? 0;
      line.maxLateWorkingDays = Math.max(line.maxLateWorkingDays, status.workingDaysLate ?? 0);
      exception(d, status);
    } else {
      line.open++;
      if (status.state === 'overdue') {
        line.overdue++;
        exception(d, status);
      }
    }
  }
  return [...lines.values()];
}
