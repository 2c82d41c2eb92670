import { createHmac } from 'node:crypto';
import { safeEqual } from '../accounts/secrets.js';

/**
 * Short-lived credentials for the hrefs of a batch answer (upload, download, verify). The client
 * sends them back as `Authorization: Bearer qlfs1.…`; each binds one user token, one system, one
 * object and one operation, and the token behind it is checked again at use (revocation is instant).
 */
export interface ActionClaims {
  /** id of the personal access token the batch request was authorized with */
  tokenId: number;
  systemId: number;
  oid: string;
  op: 'upload' | 'download' | 'verify';
  /** expiry, ms since epoch */
  exp: number;
}

const PREFIX = 'qlfs1.';
export const ACTION_TTL_MS = 3 * 3_600_000;

export function signAction(secret: string, claims: ActionClaims): string {
  const payload = Buffer.from(JSON.stringify([claims.tokenId, claims.systemId, claims.oid, claims.op, claims.exp])).toString('base64url');
  return PREFIX + payload + '.' + mac(secret, payload);
}

/** The claims of a well-signed, unexpired action token; null otherwise. */
export function verifyAction(secret: string, token: string, now: number): ActionClaims | null {
  if (!token.startsWith(PREFIX)) return null;
  const [payload, sig] = token.slice(PREFIX.length).split('.');
  if (!payload || !sig || !safeEqual(sig, mac(secret, payload))) return null;
  try {
    const [tokenId, systemId, oid, op, exp] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [number, number, string, ActionClaims['op'], number];
    if (typeof exp !== 'number' || exp < now) return null;
    return { tokenId, systemId, oid, op, exp };
  } catch {
    return null;
  }
}

export function isActionToken(value: string): boolean {
  return value.startsWith(PREFIX);
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update('lfs-action:' + payload).digest('base64url');
}
