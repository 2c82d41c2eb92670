import { z } from 'zod';
import { NOTICE_KINDS } from './kinds.js';

export const NotificationOut = z.object({
  id: z.number(),
  kind: z.enum(NOTICE_KINDS),
  title: z.string(),
  text: z.string(),
  link: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});

export const NotificationList = z.object({ items: z.array(NotificationOut), unread: z.number() });

export const NotificationQuery = z.strictObject({
  unread: z.enum(['true', 'false', '1', '0']).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  before: z.coerce.number().int().min(1).optional(),
});

export const NotificationIdParams = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });
