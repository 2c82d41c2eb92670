import { randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';
import { sha256Hex } from '../util/canonical-json.js';

/** Passwords: argon2id with the library's defaults (m=64 MiB, t=3, p=4). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash of an unknown user's password is still computed, so timing does not reveal which logins exist. */
let dummyHash: Promise<string> | undefined;
export async function burnPasswordTime(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummyHash, password);
}

const COMMON = new Set(['password1234', '123456789012', 'qwertyuiop12', 'qwerty123456', 'administrator', 'admin1234567']);

/** Returns the message key of the first rule the password breaks, or null when it is acceptable. */
export function passwordWeakness(password: string, login: string): string | null {
  if (password.length < 12) return 'errors.fields.password_too_short';
  if (password.length > 200) return 'errors.fields.password_too_long';
  if (COMMON.has(password.toLowerCase()) || password.toLowerCase().includes(login.toLowerCase()))
    return 'errors.fields.password_too_common';
  if (new Set(password).size < 6) return 'errors.fields.password_too_simple';
  return null;
}

/** Personal access tokens: 32 random bytes behind a recognisable prefix; only their SHA-256 is stored. */
export const TOKEN_PREFIX = 'qoima_';

export function newToken(): { token: string; hash: string; prefix: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: sha256Hex(token), prefix: token.slice(0, 12) };
}

export function newSessionId(): { id: string; hash: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, hash: sha256Hex(id) };
}

export function tokenHash(token: string): string {
  return sha256Hex(token);
}

/** Compares two strings in time that depends only on their length. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
