import type { z } from 'zod';
import type { Trx } from '../../storage/db.js';
import { isOperatorRole } from '../accounts/roles.js';
import type { Principal } from '../accounts/service.js';
import { recordAudit } from '../audit/service.js';
import { CalendarInvalid } from '../calendar/errors.js';
import { almatyDate } from '../calendar/types.js';
import { calendarFor, meetDeadline, startDeadline, type Deadline } from '../deadlines/service.js';
import type { Actor, ServiceDeps } from '../deps.js';
import { Forbidden } from '../errors.js';
import { registerSystem } from '../systems/service.js';
import { formRepository, type RepoDeps } from '../repositories/service.js';
import * as notices from '../notify/notices.js';
import { canonicalJson, sha256Hex } from '../util/canonical-json.js';
import { ApplicationConflict, ApplicationInvalidState, ApplicationNotFound, OtherOrganization } from './errors.js';
import { fieldError, parseForm, searchText } from './form.js';
import * as q from './queries.js';
import { ApplicationDraft, applicationFormSchema, PortalReferenceInput, RegisterInput, RejectInput, type ApplicationFormData, type ApplicationOut } from './schemas.js';
import { toApplication } from './read.js';

export type Application = z.infer<typeof ApplicationOut>;

/**
 * The organisation an application is for. A body's user acts only for their own (naming another is
 * refused outright); operator staff enter a paper application on a government body's behalf.
 */
async function resolveOrganization(trx: Trx, principal: Principal, bin: unknown, required: boolean): Promise<q.OrgRow | null> {
  const role = principal.roles[0];
  if (role === 'body_user') {
    if (typeof bin === 'string' && bin.trim() !== '' && bin.trim() !== principal.org.bin) throw new OtherOrganization();
    return (await q.orgById(trx, principal.org.id)) ?? null;
  }
  if (!isOperatorRole(role)) throw new Forbidden('role_required');
  if (typeof bin !== 'string' || bin.trim() === '') {
    if (required) throw fieldError('organization', 'errors.fields.required');
    return null;
  }
  const org = await q.orgByBin(trx, bin.trim());
  if (!org) {
    if (required) throw fieldError('organization', 'errors.fields.organization_unknown');
    return null;
  }
  if (org.kind !== 'government_body') throw fieldError('organization', 'intake.errors.organization_not_body');
  return org;
}

/** A body user naming another organisation is refused before anything else is looked at. */
function refuseOtherOrganization(principal: Principal, input: unknown): void {
  const bin = (input as { organization?: unknown } | null)?.organization;
  if (principal.roles[0] === 'body_user' && typeof bin === 'string' && bin.trim() !== '' && bin.trim() !== principal.org.bin) throw new OtherOrganization();
}

const str = (v: unknown, max: number): string | null => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : null);

function columnsOf(form: Record<string, unknown>, org: q.OrgRow | null) {
  const nested = (k: string) => (form[k] && typeof form[k] === 'object' ? (form[k] as Record<string, unknown>) : {});
  const row = {
    org_id: org ? Number(org.id) : null,
    system_code: str(form.systemCode, 64),
    complex_name: str(form.complexName, 1000),
    applicant: str(form.applicant, 1000),
    signer_name: str(nested('signer').fullName, 300),
    commissioning_kind: str(nested('commissioning').kind, 32),
    commissioned_on: str(nested('commissioning').date, 10),
    application_date: str(form.applicationDate, 10),
  };
  return row;
}

/** Saves a draft (new, or an existing draft of the caller's organisation): nothing but sizes is checked. */
export async function saveDraft(deps: ServiceDeps, principal: Principal, actor: Actor, input: unknown, draftId?: number): Promise<Application> {
  refuseOtherOrganization(principal, input);
  const draft = parseForm(ApplicationDraft, input);
  const now = deps.clock().toISOString();
  return deps.db.transaction(async (trx) => {
    const org = await resolveOrganization(trx, principal, draft.organization, false);
    const cols = columnsOf(draft, org);
    const patch = { ...cols, form: canonicalJson(draft), search_text: searchText([cols.system_code, cols.complex_name, cols.applicant, org?.name_ru, org?.name_kk]), updated_at: now };
    let id = draftId;
    if (id === undefined) {
      id = await q.insertReturningId(trx, 'applications', {
        ...patch,
        status: 'draft',
        created_by: principal.user.id,
        created_by_org_id: principal.org.id,
        on_behalf: isOperatorRole(principal.roles[0]),
        created_at: now,
      });
    } else {
      const row = await q.applicationFor(trx, principal, id);
      if (!row) throw new ApplicationNotFound();
      if (row.status !== 'draft') throw new ApplicationInvalidState('application_not_draft');
      await q.updateApplication(trx, id, patch);
    }
    await recordAudit(trx, deps.clock, actor, { action: 'application.draft_saved', subjectType: 'application', subjectId: id, details: { systemCode: cols.system_code } });
    return toApplication((await q.applicationById(trx, id))!);
  });
}

/**
 * Submits an application (Rules p.7, Annex 1), new or from a draft: the whole form is checked, and
 * signed by the submitting user — who, when, and the SHA-256 of the form's canonical JSON.
 */
export async function submitApplication(deps: ServiceDeps, principal: Principal, actor: Actor, input: unknown, draftId?: number): Promise<Application> {
  refuseOtherOrganization(principal, input);
  const now = deps.clock();
  const today = almatyDate(now);
  const form: ApplicationFormData = parseForm(applicationFormSchema(today), input);
  return deps.db.transaction(async (trx) => {
    const org = (await resolveOrganization(trx, principal, form.organization, true))!;
    // The owner block describes the body the application is for (Annex 1: owner = иеленуші).
    if (form.owner.bin && form.owner.bin !== org.bin) throw fieldError('owner.bin', 'intake.errors.owner_not_organization');
    const signed = { ...form, organization: org.bin };
    const json = canonicalJson(signed);
    const cols = columnsOf(signed, org);
    const year = Number(today.slice(0, 4));
    const patch = {
      ...cols,
      status: 'submitted' as const,
      year,
      form: json,
      form_sha256: sha256Hex(json),
      signed_by: principal.user.id,
      signed_by_name: principal.user.fullName,
      signed_at: now.toISOString(),
      submitted_at: now.toISOString(),
      on_behalf: isOperatorRole(principal.roles[0]),
      updated_at: now.toISOString(),
    };
    let id = draftId;
    if (id === undefined) {
      id = await q.insertReturningId(trx, 'applications', { ...patch, created_by: principal.user.id, created_by_org_id: principal.org.id, created_at: now.toISOString() });
    } else {
      const row = await q.applicationFor(trx, principal, id);
      if (!row) throw new ApplicationNotFound();
      if ((await q.moveApplication(trx, id, 'draft', patch)) !== 1) throw new ApplicationInvalidState('application_not_draft');
    }
    const number = `Q${year}-${String(id).padStart(5, '0')}`;
    await q.updateApplication(trx, id, { number, search_text: searchText([number, cols.system_code, cols.complex_name, cols.applicant, org.name_ru, org.name_kk]) });
    await recordAudit(trx, deps.clock, actor, {
      action: 'application.submitted',
      subjectType: 'application',
      subjectId: id,
      details: { number, organization: org.bin, systemCode: form.systemCode, sha256: patch.form_sha256, onBehalf: patch.on_behalf },
    });
    await notices.applicationSubmitted(trx, deps.clock, id); // notify/: operator staff (issue 7)
    return toApplication((await q.applicationById(trx, id))!);
  });
}

export interface Registration {
  application: Application;
  registerNo: number;
  year: number;
  system: { id: number; code: string; status: string; created: boolean };
  deadlines: Deadline[];
}

/**
 * Registers a submitted application in the register of Annex 2 (Rules p.8): the next running number
 * of the year, the day received, the body, the head who signed, the operator employee who accepted.
 * Creates or attaches the system record and fixes its deadlines: p.7 (met on the day received) and
 * p.8 (the repository within 3 working days of today). Forming the repository happens after commit.
 */
export async function registerApplication(deps: ServiceDeps, principal: Principal, actor: Actor, id: number, input: unknown): Promise<Registration> {
  const data = parseForm(RegisterInput, input ?? {});
  const now = deps.clock();
  const today = almatyDate(now);
  for (const k of ['receivedOn', 'portalRefDate'] as const) if (data[k] && data[k]! > today) throw fieldError(k, 'intake.errors.date_in_future');
  return deps.db.transaction(async (trx) => {
    const app = await q.applicationFor(trx, principal, id);
    if (!app) throw new ApplicationNotFound();
    const receivedOn = data.receivedOn ?? almatyDate(new Date(app.submitted_at ?? now.toISOString()));
    if (app.status === 'draft') throw new ApplicationInvalidState('application_not_submitted');
    if (app.application_date && receivedOn < app.application_date) throw fieldError('receivedOn', 'intake.errors.received_before_application');
    if ((await q.moveApplication(trx, id, 'submitted', { status: 'registered', registered_at: now.toISOString(), received_on: receivedOn, updated_at: now.toISOString() })) !== 1)
      throw new ApplicationConflict(app.status === 'rejected' ? 'application_already_rejected' : 'application_already_registered');
    // The year's counter row is taken first: its lock serialises registrations (PostgreSQL), so two
    // applications for one new system code cannot both create it.
    const year = Number(today.slice(0, 4));
    const registerNo = await q.nextRegisterNo(trx, year);
    const form = JSON.parse(app.form) as ApplicationFormData;
    const org = (await q.orgById(trx, app.org_id!))!;
    const developerOrg = form.developer.bin ? await q.orgByBin(trx, form.developer.bin) : undefined;
    const { system, created, registered } = await registerSystem(trx, deps, {
      code: form.systemCode,
      name: form.complexName,
      ownerOrgId: Number(org.id),
      developerOrgId: developerOrg ? Number(developerOrg.id) : null,
      developerName: form.developer.fullName,
      commissioning: form.commissioning,
    });
    const head = form.signer.position ? `${form.signer.fullName}, ${form.signer.position}` : form.signer.fullName;
    await q.insertRegisterEntry(trx, {
      year,
      register_no: registerNo,
      application_id: id,
      received_on: receivedOn,
      body_name: org.name_ru,
      body_name_kk: org.name_kk,
      applicant_head: head.slice(0, 300),
      accepted_by: principal.user.id,
      accepted_by_name: principal.user.fullName,
      portal_ref_no: data.portalRefNo ?? null,
      portal_ref_date: data.portalRefDate ?? null,
      created_at: now.toISOString(),
    });
    await q.updateApplication(trx, id, { system_id: system.id });
    const calendar = await calendarFor(deps, trx);
    const deadlines: Deadline[] = [];
    // Rules p.7: the application was due 10 working days after commissioning; met the day it arrived.
    // A commissioning before the calendar's first year cannot be counted: that deadline is not kept.
    try {
      const ref = `application:${id}`;
      await startDeadline(trx, deps, { systemId: system.id, rule: 'application', ref, startDate: form.commissioning.date, calendar });
      deadlines.push((await meetDeadline(trx, deps, { systemId: system.id, rule: 'application', ref, metOn: receivedOn, calendar }))!);
    } catch (err) {
      if (!(err instanceof CalendarInvalid)) throw err;
    }
    // Rules p.8: the repository within 3 working days of registration.
    if (registered) deadlines.push(await startDeadline(trx, deps, { systemId: system.id, rule: 'repository', startDate: today, calendar }));
    await recordAudit(trx, deps.clock, actor, {
      action: 'application.registered',
      subjectType: 'application',
      subjectId: id,
      details: { year, registerNo, receivedOn, systemId: system.id, systemCode: system.code, systemCreated: created, portalRefNo: data.portalRefNo ?? null },
    });
    await notices.applicationRegistered(trx, deps.clock, id); // notify/: the body (issue 7)
    return {
      application: toApplication((await q.applicationById(trx, id))!),
      registerNo,
      year,
      system: { id: system.id, code: system.code, status: system.status, created },
      deadlines,
    };
  });
}

/** Rejects a submitted application with a reason (the other outcome of p.8). */
export async function rejectApplication(deps: ServiceDeps, principal: Principal, actor: Actor, id: number, input: unknown): Promise<Application> {
  const { reason } = parseForm(RejectInput, input ?? {});
  const now = deps.clock().toISOString();
  return deps.db.transaction(async (trx) => {
    const app = await q.applicationFor(trx, principal, id);
    if (!app) throw new ApplicationNotFound();
    if (app.status === 'draft') throw new ApplicationInvalidState('application_not_submitted');
    if ((await q.moveApplication(trx, id, 'submitted', { status: 'rejected', rejected_at: now, reject_reason: reason, updated_at: now })) !== 1)
      throw new ApplicationConflict(app.status === 'rejected' ? 'application_already_rejected' : 'application_already_registered');
    await recordAudit(trx, deps.clock, actor, { action: 'application.rejected', subjectType: 'application', subjectId: id, details: { reason } });
    await notices.applicationRejected(trx, deps.clock, id); // notify/: the body (issue 7)
    return toApplication((await q.applicationById(trx, id))!);
  });
}

/** Records the entry made on the e-government architecture portal for a registered application (p.8). */
export async function recordPortalReference(deps: ServiceDeps, principal: Principal, actor: Actor, id: number, input: unknown): Promise<Application> {
  const data = parseForm(PortalReferenceInput, input ?? {});
  if (data.portalRefDate > almatyDate(deps.clock())) throw fieldError('portalRefDate', 'intake.errors.date_in_future');
  return deps.db.transaction(async (trx) => {
    const app = await q.applicationFor(trx, principal, id);
    if (!app) throw new ApplicationNotFound();
    if (app.status !== 'registered') throw new ApplicationInvalidState('application_not_registered');
    await q.updateRegisterEntry(trx, id, { portal_ref_no: data.portalRefNo, portal_ref_date: data.portalRefDate });
    await recordAudit(trx, deps.clock, actor, {
      action: 'application.portal_reference_set',
      subjectType: 'application',
      subjectId: id,
      details: { portalRefNo: data.portalRefNo, portalRefDate: data.portalRefDate, replaced: app.reg_portal_ref_no },
    });
    return toApplication((await q.applicationById(trx, id))!);
  });
}

/**
 * Rules p.8 as the operator does it: register the application, then form the repository for the
 * deposit at once (its own transition: repositories/service.ts). When forming fails the registration
 * stands and the operator forms it again (`POST /systems/:code/repository`); the answer says so.
 */
export async function registerAndFormRepository(
  deps: RepoDeps & { readonly config: { readonly formOnRegister: boolean } },
  principal: Principal,
  actor: Actor,
  id: number,
  input: unknown,
): Promise<Registration & { repository: { commit: string; formedAt: string } | null; repositoryError?: Error }> {
  const registration = await registerApplication(deps, principal, actor, id, input);
  if (registration.system.status !== 'registered' || !deps.config.formOnRegister) return { ...registration, repository: null };
  try {
    const repository = await formRepository(deps, actor, registration.system.id);
    return { ...registration, system: { ...registration.system, status: 'repository_formed' }, repository };
  } catch (err) {
    return { ...registration, repository: null, repositoryError: err as Error };
  }
}
