import { z } from 'zod';
import { DEADLINE_STATES } from '../deadlines/engine.js';
import { RULE_KEYS } from '../deadlines/rules.js';
import { SYSTEM_STATUSES } from './policy.js';

/** What the API answers about systems (for the OpenAPI document). */
export const DeadlineOut = z.object({
  id: z.number(),
  systemId: z.number(),
  rule: z.enum(RULE_KEYS),
  ref: z.string(),
  edition: z.string(),
  clause: z.string(),
  workingDays: z.number(),
  startDate: z.string(),
  dueDate: z.string(),
  metOn: z.string().nullable(),
  computedAt: z.string(),
  state: z.enum(DEADLINE_STATES),
  workingDaysLeft: z.number().nullable(),
  workingDaysLate: z.number().nullable(),
});

export const SystemOut = z.object({
  id: z.number(),
  code: z.string(),
  nameKk: z.string(),
  nameRu: z.string(),
  status: z.enum(SYSTEM_STATUSES),
  owner: z.object({ id: z.number(), bin: z.string(), nameKk: z.string(), nameRu: z.string() }),
  developer: z.object({ id: z.number().nullable(), bin: z.string().nullable(), name: z.string().nullable() }),
  commissionedOn: z.string().nullable(),
  portalRegisteredOn: z.string().nullable(),
  warrantyUntil: z.string().nullable(),
  repositoryFormedAt: z.string().nullable(),
  cloneUrl: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const SystemDetailOut = SystemOut.extend({
  deadlines: z.array(DeadlineOut),
  events: z.array(z.object({ id: z.number(), at: z.string(), action: z.string(), actorLogin: z.string().nullable(), details: z.record(z.string(), z.unknown()) })),
  applications: z.array(z.object({ id: z.number(), number: z.string().nullable(), status: z.string(), submittedAt: z.string().nullable(), registeredAt: z.string().nullable() })),
});

export const SystemListQuery = z.object({ status: z.enum(SYSTEM_STATUSES).optional(), q: z.string().max(200).optional() });
