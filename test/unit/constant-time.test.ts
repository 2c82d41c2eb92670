import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeEqual, tokenHash } from '../../server/accounts/secrets.js';
import { signAction, verifyAction } from '../../server/lfs/action-token.js';
import { projectRoot } from '../../server/paths.js';

// Secrets are compared in constant time (issue 13 §3): MACs (CSRF, LFS action tokens) with
// crypto.timingSafeEqual, personal access tokens and sessions by looking up their SHA-256 (the
// secret itself is never compared with ===).
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('constant-time comparison of secrets', () => {
  it('safeEqual answers like === for equal and different strings, of equal and different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('жүйе', 'жүйе')).toBe(true);
  });

  it('an LFS action token with one character of its MAC or payload changed is refused', () => {
    const secret = 's'.repeat(40);
    const token = signAction(secret, { tokenId: 1, systemId: 2, oid: 'a'.repeat(64), op: 'upload', exp: 2_000 });
    expect(verifyAction(secret, token, 1_000)).toMatchObject({ tokenId: 1, systemId: 2 });
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    expect(verifyAction(secret, flip(token, token.length - 1), 1_000)).toBeNull();
    expect(verifyAction(secret, flip(token, 8), 1_000)).toBeNull();
    expect(verifyAction('t'.repeat(40), token, 1_000)).toBeNull();
  });

  it('every MAC in server/ is checked with safeEqual, and tokens and sessions are found by their hash', () => {
    const files = sources(join(projectRoot, 'server'));
    const macs = files.filter((f) => readFileSync(f, 'utf8').includes('createHmac('));
    expect(macs.length).toBeGreaterThan(0);
    for (const f of macs) {
      const text = readFileSync(f, 'utf8');
      // a MAC that is verified here (not only issued) goes through safeEqual, never ===/!==
      if (/verify|check/i.test(text)) expect(text, f).toMatch(/safeEqual\(/);
      expect(text, f).not.toMatch(/(===|!==)\s*(mac|tokenFor|sign\w*)\(|(mac|tokenFor|sign\w*)\([^)]*\)\s*(===|!==)/);
    }
    const accounts = readFileSync(join(projectRoot, 'server/accounts/service.ts'), 'utf8');
    expect(accounts).toMatch(/tokenByHash\(deps\.db, tokenHash\(token\)\)/);
    expect(accounts).toMatch(/sessionByHash\(deps\.db, hash\)/);
    expect(tokenHash('qoima_x')).toMatch(/^[0-9a-f]{64}$/);
    // no secret compared as text anywhere
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/\b(token|password|secret|sessionId|sig)\s*(===|!==)\s*(?!undefined|null|'|")\w/);
  });
});
