import type { z } from 'zod';
import { InvalidInput, type AppError } from '../errors.js';
import { parseInput } from '../util/validate.js';

/**
 * Turning what a caller sent (JSON, or the fields of the HTML form) into the application form, with
 * one message per bad field. Shared by the API, the pages and the service.
 */

/** No form nests deeper than a few levels; a hostile body 10 000 deep is refused, not recursed into. */
const MAX_DEPTH = 32;

/** Text left blank is "not given": empty strings are dropped at every level (arrays lose them too). */
export function dropEmpty(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new InvalidInput('invalid_json');
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (Array.isArray(value)) return value.map((v) => dropEmpty(v, depth + 1)).filter((v) => v !== undefined && v !== null);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const cleaned = dropEmpty(v, depth + 1);
      if (cleaned !== undefined) out[k] = cleaned;
    }
    return out;
  }
  return value;
}

/**
 * Parses with `schema` after dropping blanks; on failure an InvalidInput naming every bad field. The
 * schemas' own messages in the intake namespace (`intake.errors.*`) are kept; the others are the
 * service-wide ones of `parseInput`.
 */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const cleaned = dropEmpty(input ?? {});
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  let fields: NonNullable<AppError['fields']> = {};
  try {
    parseInput(schema, cleaned);
  } catch (err) {
    if (!(err instanceof InvalidInput) || !err.fields) throw err;
    fields = { ...err.fields };
  }
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.') || '_';
    if (seen.has(path)) continue;
    seen.add(path);
    if (issue.message.startsWith('intake.')) fields[path] = { key: issue.message };
  }
  throw new InvalidInput('validation_failed', {}, fields);
}

/** Merges field errors into one InvalidInput (a form's own checks beside the schema's). */
export function fieldError(path: string, key: string, params?: Record<string, string | number>): InvalidInput {
  return new InvalidInput('validation_failed', {}, { [path]: { key, ...(params ? { params } : {}) } });
}

/**
 * The HTML form's fields (`owner.email`, `items.0.name`, `funding` repeated) as the nested object the
 * API takes. Numeric path parts make arrays; item rows left entirely blank are dropped.
 */
export function formFromFields(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(body)) {
    if (name.startsWith('_') || name === 'action' || !/^[A-Za-z][A-Za-z0-9]*(\.([A-Za-z][A-Za-z0-9]*|\d{1,3})){0,3}$/.test(name)) continue;
    const parts = name.split('.');
    if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) continue;
    let node: Record<string, unknown> | null = out;
    for (let i = 0; i < parts.length - 1 && node; i++) {
      const key = parts[i];
      node[key] ??= /^\d+$/.test(parts[i + 1]) ? [] : {};
      const child: unknown = node[key];
      node = child && typeof child === 'object' ? (child as Record<string, unknown>) : null;
    }
    if (node) node[parts[parts.length - 1]] = raw;
  }
  if (Array.isArray(out.items)) {
    out.items = (out.items as Record<string, unknown>[]).filter(
      (row) => row && ['name', 'cdSerial', 'sizeMb', 'paperSheets'].some((k) => typeof row[k] === 'string' && (row[k] as string).trim() !== ''),
    );
  }
  if (typeof out.funding === 'string') out.funding = [out.funding];
  return out;
}

/** Lower-cased text that the list's search looks in (lower-cased here: SQLite folds ASCII only). */
export function searchText(parts: (string | null | undefined)[]): string {
  return parts
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .join(' \u0001 ')
    .toLowerCase()
    .slice(0, 4000);
}
