import type { z } from 'zod';
import { InvalidInput, type AppError, type MessageParams } from '../errors.js';
import { hasMessage } from '../http/i18n.js';

/**
 * Parses input with a zod schema; on failure throws InvalidInput naming every bad field with a
 * message key (custom messages in schemas are keys: `errors.fields.bin_invalid`).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const fields: NonNullable<AppError['fields']> = {};
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.') || '_';
    if (!fields[path]) fields[path] = issueMessage(issue);
  }
  throw new InvalidInput('validation_failed', {}, fields);
}

function issueMessage(issue: z.core.$ZodIssue): { key: string; params?: MessageParams } {
  // A schema's own message is a message key of any namespace (`errors.fields.bin_invalid`, `calendar.…`).
  if (issue.message.startsWith('errors.') || hasMessage('en', issue.message)) return { key: issue.message };
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined || issue.input === null
        ? { key: 'errors.fields.required' }
        : { key: 'errors.fields.invalid_type', params: { expected: String(issue.expected) } };
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) === 1
        ? { key: 'errors.fields.required' }
        : { key: issue.origin === 'string' ? 'errors.fields.too_short' : 'errors.fields.too_small', params: { min: String(issue.minimum) } };
    case 'too_big':
      return { key: issue.origin === 'string' ? 'errors.fields.too_long' : 'errors.fields.too_big', params: { max: String(issue.maximum) } };
    case 'invalid_format':
      return { key: issue.format === 'email' ? 'errors.fields.email_invalid' : 'errors.fields.invalid_format' };
    case 'invalid_value':
      return { key: 'errors.fields.invalid_value', params: { allowed: issue.values.map(String).join(', ') } };
    case 'unrecognized_keys':
      return { key: 'errors.fields.unknown_field', params: { keys: issue.keys.join(', ') } };
    default:
      return { key: 'errors.fields.invalid' };
  }
}
