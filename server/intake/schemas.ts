import { z } from 'zod';
import { isValidBin } from '../accounts/bin.js';
import { SYSTEM_CODE } from '../systems/queries.js';

/**
 * The application form of Rules p.7, Annex 1: every field of the form is a field here. Messages are
 * keys (`intake.errors.*`, `errors.fields.*`) so the API and the form show them in kk/ru/en.
 */

/** Sources of funding (Annex 1, "underline"): one or more of these eight. */
export const FUNDING_SOURCES = [
  'republican_budget',
  'local_budget',
  'extra_budgetary_funds',
  'own_funds',
  'grants',
  'external_loans',
  'credit',
  'other_entities',
] as const;
export type FundingSource = (typeof FUNDING_SOURCES)[number];

/** What starts the p.7 clock: commissioning into industrial operation, or registration on the architecture portal. */
export const COMMISSIONING_KINDS = ['industrial_operation', 'portal_registration'] as const;
export const COPY_KINDS = ['original', 'copy'] as const;
export const DEVELOPER_KINDS = ['organization', 'person'] as const;
export const APPLICATION_STATUSES = ['draft', 'submitted', 'registered', 'rejected'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const MAX_ITEMS = 500;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isCalendarDate = (v: string) => DATE.test(v) && new Date(v + 'T00:00:00Z').toISOString().slice(0, 10) === v;

/** Text as typed: trimmed; an empty string is "not given". */
const text = (max: number) => z.string().trim().min(1).max(max);
const optText = (max: number) => text(max).optional();
/** A number from JSON or from a form field's text. */
const numeric = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v.replace(',', '.'))) ? Number(v.replace(',', '.')) : v), schema);
const yesNo = z.preprocess((v) => (v === 'yes' || v === 'true' || v === 'on' ? true : v === 'no' || v === 'false' ? false : v), z.boolean());

const isoDate = () => z.string().trim().refine(isCalendarDate, { message: 'intake.errors.date_invalid' });
const pastDate = (today: string) =>
  isoDate().refine((v) => !isCalendarDate(v) || v <= today, { message: 'intake.errors.date_in_future' });

const Bin = z.string().trim().refine(isValidBin, { message: 'errors.fields.bin_invalid' });
const Phone = z.string().trim().regex(/^\+?[0-9 ()-]{5,32}$/, { message: 'errors.fields.phone_invalid' });
const Email = z.email({ message: 'errors.fields.email_invalid' }).max(320);
const Web = z.string().trim().max(300).regex(/^(https?:\/\/)?[^\s/]+\.[^\s]+$/i, { message: 'intake.errors.web_invalid' });
const PostalIndex = z.string().trim().regex(/^[A-Za-z0-9]{6,7}$/, { message: 'intake.errors.postal_index_invalid' });

/** Owner and developer blocks: the same fields (Annex 1). The BIN links a known organisation. */
const partyFields = {
  bin: Bin.optional(),
  fullName: text(1000),
  subordination: optText(1000),
  shortName: optText(300),
  postalIndex: PostalIndex.optional(),
  address: optText(1000),
  phone: Phone.optional(),
  fax: Phone.optional(),
  email: Email.optional(),
  web: Web.optional(),
  contactPerson: optText(300),
};

export const Item = z.strictObject({
  name: text(500),
  cdSerial: optText(100),
  sizeMb: numeric(z.number().min(0, { message: 'intake.errors.negative' }).max(1e9)).optional(),
  paperSheets: numeric(z.number().int().min(0, { message: 'intake.errors.negative' }).max(1e6)).optional(),
  original: z.enum(COPY_KINDS),
});

/** The form as of `today` (Asia/Almaty): dates after today are refused where the form forbids them. */
export function applicationFormSchema(today: string) {
  return z.strictObject({
    /** BIN of the government body the application is for; a body user's own by default. */
    organization: Bin.optional(),
    applicant: text(1000),
    complexName: text(1000),
    systemCode: z.string().trim().regex(SYSTEM_CODE, { message: 'intake.errors.system_code_invalid' }),
    copies: numeric(z.number().int().min(1).max(1000)),
    items: z.array(Item).max(MAX_ITEMS).default([]),
    owner: z.strictObject({ ...partyFields, address: text(1000), phone: Phone, email: Email, contactPerson: text(300) }),
    developer: z.strictObject({ kind: z.enum(DEVELOPER_KINDS).default('organization'), ...partyFields }),
    authors: optText(2000),
    certification: optText(2000),
    releaseYear: numeric(z.number().int().min(1950).max(Number(today.slice(0, 4)), { message: 'intake.errors.date_in_future' })),
    version: text(100),
    programmingLanguage: text(300),
    releaseDate: pastDate(today).optional(),
    annotation: text(10_000),
    requirements: z
      .strictObject({
        computer: optText(500),
        coprocessor: optText(500),
        ram: optText(200),
        disk: optText(200),
        os: optText(500),
        video: optText(500),
        audio: optText(500),
        extraHardware: optText(1000),
        extraSoftware: optText(1000),
        other: optText(2000),
      })
      .default({}),
    protection: z.strictObject({ present: yesNo, description: optText(2000) }),
    funding: z
      .array(z.enum(FUNDING_SOURCES, { message: 'intake.errors.funding_unknown' }))
      .min(1, { message: 'intake.errors.funding_required' })
      .max(FUNDING_SOURCES.length)
      .refine((a) => new Set(a).size === a.length, { message: 'intake.errors.funding_repeated' }),
    /** The date on the form (next to the owner's signature). */
    applicationDate: pastDate(today),
    /** What started the p.7 clock and when: not after the application is submitted. */
    commissioning: z.strictObject({ kind: z.enum(COMMISSIONING_KINDS), date: pastDate(today) }),
    /** The head who signed the application (Annex 2, "applicant"). */
    signer: z.strictObject({ fullName: text(300), position: optText(300) }),
  });
}

/** The schema the OpenAPI document shows (dates checked against the day of the request at run time). */
export const ApplicationForm = applicationFormSchema('2100-12-31');
export type ApplicationFormData = z.output<typeof ApplicationForm>;

const LooseLeaf = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);

/**
 * A saved draft: the same shape, every field optional and only kinds and sizes checked, so a body
 * can save a half-filled form. It is validated in full when submitted.
 */
export const ApplicationDraft = relax(ApplicationForm) as z.ZodType<Record<string, unknown>>;

function relax(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      return relax(def.innerType as z.ZodType);
    case 'pipe': {
      const out = def.out as z.ZodType;
      return relax((out as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'transform' ? (def.in as z.ZodType) : out);
    }
    case 'object':
      return z.strictObject(Object.fromEntries(Object.entries(def.shape as Record<string, z.ZodType>).map(([k, v]) => [k, relax(v).optional()])));
    case 'array':
      return z.array(relax(def.element as z.ZodType).optional()).max(MAX_ITEMS);
    default:
      return LooseLeaf;
  }
}

export const RegisterInput = z.strictObject({
  /** The day the application was received (Annex 2); today when not given. */
  receivedOn: isoDate().optional(),
  /** The entry on the e-government architecture portal (Rules p.8), when already made. */
  portalRefNo: optText(100),
  portalRefDate: isoDate().optional(),
});

export const RejectInput = z.strictObject({ reason: text(2000) });

export const PortalReferenceInput = z.strictObject({ portalRefNo: text(100), portalRefDate: isoDate() });

export const ApplicationListQuery = z.object({
  status: z.enum(APPLICATION_STATUSES).optional(),
  organization: Bin.optional(),
  year: numeric(z.number().int().min(2000).max(2100)).optional(),
  q: z.string().trim().max(200).optional(),
  limit: numeric(z.number().int().min(1).max(500)).default(100),
  offset: numeric(z.number().int().min(0)).default(0),
});

export const RegisterQuery = z.object({
  year: numeric(z.number().int().min(2000).max(2100)).optional(),
  lang: z.enum(['kk', 'ru']).optional(),
});

export const ApplicationOut = z.object({
  id: z.number(),
  number: z.string().nullable(),
  status: z.enum(APPLICATION_STATUSES),
  organization: z.object({ id: z.number(), bin: z.string(), nameKk: z.string(), nameRu: z.string() }).nullable(),
  onBehalf: z.boolean(),
  systemCode: z.string().nullable(),
  complexName: z.string().nullable(),
  form: z.record(z.string(), z.unknown()),
  signature: z.object({ signedBy: z.string(), signedAt: z.string(), sha256: z.string(), valid: z.boolean() }).nullable(),
  submittedAt: z.string().nullable(),
  registeredAt: z.string().nullable(),
  rejectedAt: z.string().nullable(),
  rejectReason: z.string().nullable(),
  register: z
    .object({ year: z.number(), registerNo: z.number(), receivedOn: z.string(), acceptedBy: z.string(), portalRefNo: z.string().nullable(), portalRefDate: z.string().nullable() })
    .nullable(),
  systemId: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const RegisterRowOut = z.object({
  no: z.number(),
  year: z.number(),
  applicationId: z.number(),
  applicationNumber: z.string(),
  receivedOn: z.string(),
  bodyName: z.string(),
  bodyNameKk: z.string(),
  bodyBin: z.string(),
  applicant: z.string(),
  acceptedBy: z.string(),
  systemCode: z.string(),
  portalRefNo: z.string().nullable(),
  portalRefDate: z.string().nullable(),
});
