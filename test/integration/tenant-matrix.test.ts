import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { formedSystem, type TestSystem } from '../helpers/git.js';
import * as accounts from '../../server/accounts/service.js';
import { API_POLICY, CALLERS, GIT_CASES, KNOWN_FAILING, READERS, UI_CALLERS, UI_PAGES, type Caller } from '../matrix/policy.js';
import { formClient, setCookie } from '../helpers/browser.js';
import { TEST_ADMIN_PASSWORD } from '../helpers/app.js';

// The tenant matrix (issue 13 §1): every API route of the route table and every git/LFS endpoint,
// called by every kind of caller; the expected outcome of each cell comes from test/matrix/policy.ts.
// A denied request about the system must be the very response a system that does not exist gets.
const clock = testClock('2026-03-19T10:00:00+05:00');
const SYS = { userId: null, orgId: null, login: 'test', ip: null };
const MISSING = 'NO-SUCH-SYSTEM';
let t: TestApp;
let sys: TestSystem;
const tokens = {} as Record<Caller, string | null>;
const sessions = {} as Record<Caller, string | null>;
const logins = {} as Record<Caller, { login: string; password: string } | null>;

interface Res {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Everything of a response that may tell a caller something: status, headers (but request id and date), body. */
async function call(method: string, path: string, auth: string | null, body?: { data: string; type: string }, cookie?: string | null): Promise<Res> {
  const headers: Record<string, string> = { 'Accept-Language': 'en' };
  if (auth) headers.Authorization = auth;
  if (cookie) Object.assign(headers, { Cookie: `qoima_session=${cookie}`, Accept: 'text/html' });
  if (body) headers['Content-Type'] = body.type;
  const r = await fetch(t.url + path, { method, headers, body: body?.data, redirect: 'manual' });
  const h: Record<string, string> = {};
  const id = r.headers.get('x-request-id');
  r.headers.forEach((v, k) => {
    if (k !== 'x-request-id' && k !== 'date') h[k] = v;
  });
  // a response cut half-way is a failed cell with its name, not a crash of the whole matrix
  const text = await r.text().catch((err: Error) => `connection cut: ${String(err.cause ?? err.message)}`);
  if (text.startsWith('connection cut: ')) return { status: 0, headers: h, body: `${r.status} ${text}` };
  // the request id is echoed in LFS error bodies (its `request_id`): the one part that must differ
  return { status: r.status, headers: h, body: id ? text.split(id).join('<request-id>') : text };
}

const same = (a: Res, b: Res) => a.status === b.status && a.body === b.body && JSON.stringify(a.headers) === JSON.stringify(b.headers);

const PARAMS: Record<string, string> = { id: '999999', date: '2026-01-05', year: '2026', period: '2026-H1', version: '1', category: 'source' };
function fill(path: string, code: string): string {
  return path.replace('*path', 'src/matrix.txt').replace(/:(\w+)/g, (_m, name: string) => (name === 'code' ? code : (PARAMS[name] ?? '1')));
}

async function grant(organization: string, purpose: string, expiresAt?: string): Promise<number> {
  const r = await fetch(`${t.url}/api/v1/systems/${sys.code}/grants`, { method: 'POST', headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ organization, purpose, basis: 'письмо № 7', ...(expiresAt ? { expiresAt } : {}) }) });
  if (r.status !== 201) throw new Error(`grant failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { id: number }).id;
}

beforeAll(async () => {
  t = await startTestApp({ clock });
  sys = await formedSystem(t, { developer: true });
  const body = () => t.addUser({ role: 'body_user' });
  const [otherBody, reuse, recovery, expired, revoked] = [await body(), await body(), await body(), await body(), await body()];
  const [otherDeveloper, archivist, authority] = [await t.addUser({ role: 'developer_user' }), await t.addUser({ role: 'archivist' }), await t.addUser({ role: 'authority_viewer' })];
  const staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
  await grant(reuse.bin, 'reuse');
  await grant(recovery.bin, 'recovery');
  await grant(expired.bin, 'reuse', '2026-03-20');
  const revokedId = await grant(revoked.bin, 'recovery');
  const del = await fetch(`${t.url}/api/v1/systems/${sys.code}/grants/${revokedId}`, { method: 'DELETE', headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' }, body: '{}' });
  expect(del.status).toBe(200);
  const tok = (scopes: ('api' | 'git:read' | 'git:write')[], days = 90) => accounts.createToken(t.deps, SYS, sys.owner.userId, { scopes, expiresInDays: days });
  const revokedToken = await tok(['api', 'git:read', 'git:write']);
  await accounts.revokeToken(t.deps, SYS, revokedToken.id, null);
  Object.assign(tokens, {
    anonymous: null,
    owner: sys.owner.token,
    otherBody: otherBody.token,
    granteeReuse: reuse.token,
    granteeRecovery: recovery.token,
    granteeExpired: expired.token,
    granteeRevoked: revoked.token,
    developer: sys.developer!.token,
    otherDeveloper: otherDeveloper.token,
    archivist: archivist.token,
    authority: authority.token,
    staff: staff.token,
    admin: t.adminToken,
    ownerNoApiScope: (await tok(['git:read', 'git:write'])).token,
    ownerNoGitScope: (await tok(['api'])).token,
    expiredToken: (await tok(['api', 'git:read', 'git:write'], 1)).token,
    revokedToken: revokedToken.token,
  } satisfies Record<Caller, string | null>);
  Object.assign(logins, { anonymous: null, owner: sys.owner, otherBody, granteeReuse: reuse, granteeRecovery: recovery, granteeExpired: expired, granteeRevoked: revoked, developer: sys.developer, otherDeveloper, archivist, authority, staff, admin: { login: 'admin', password: TEST_ADMIN_PASSWORD } });
  clock.set('2026-03-22T10:00:00+05:00'); // the 1-day token and the grant until 2026-03-20 have now expired
});
const BOUNDARY = 'matrix-boundary-7';
const MULTIPART = {
  type: `multipart/form-data; boundary=${BOUNDARY}`,
  data: [`--${BOUNDARY}`, 'Content-Disposition: form-data; name="category"', '', 'source', `--${BOUNDARY}`, 'Content-Disposition: form-data; name="file"; filename="csrf.txt"', 'Content-Type: text/plain', '', 'no token', `--${BOUNDARY}--`, ''].join('\r\n'),
};

/** The routes of the UI router, read from the app itself: the last router mounted (after git and the API). */
function uiRoutes(): { method: string; path: string }[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const routers = ((t.app.app as unknown as { router: { stack: Layer[] } }).router.stack).filter((l) => l.handle?.stack);
  const ui = routers.at(-1)!.handle!.stack!;
  return ui.filter((l) => l.route).flatMap((l) => Object.keys(l.route!.methods).map((m) => ({ method: m.toUpperCase(), path: l.route!.path })));
}

afterAll(async () => {
  await t?.stop();
});

interface Cell {
  route: string;
  caller: Caller;
  expect: 'pass' | 'denied';
  got: string;
  ok: boolean;
}

/**
 * One cell. Denied: 401 (no or dead credentials), 403 (role or scope) or 404 — and, for a route about
 * the system, byte-for-byte the missing system's response, unless the caller may read the system
 * (a reader refused a write may be told so with 403). Passed: neither 401 nor 403, and for a route about
 * the system not the missing system's response (a 400 of input checked before the lookup excepted).
 */
function judge(route: string, caller: Caller, allowed: Caller[], readers: Caller[], scoped: boolean, real: Res, missing: Res | null): Cell {
  const pass = allowed.includes(caller);
  let ok: boolean;
  if (pass) ok = real.status !== 401 && real.status !== 403 && (!scoped || !same(real, missing!) || real.status === 400);
  else if (caller === 'anonymous' || caller === 'expiredToken' || caller === 'revokedToken')
    ok = (real.status === 401 || (real.status === 303 && (real.headers.location ?? '').startsWith('/login'))) && (!scoped || same(real, missing!));
  else if (!scoped) ok = real.status === 403;
  // 400 counts when it is the missing system's very answer (input checked before the scoped lookup): nothing leaks
  else ok = same(real, missing!) ? [400, 403, 404].includes(real.status) : readers.includes(caller) && real.status === 403;
  const got = `${real.status} ${real.body.slice(0, 120)}${scoped ? (same(real, missing!) ? ' (= missing)' : ` (missing: ${missing!.status} ${missing!.body.slice(0, 80)})`) : ''}`;
  return { route, caller, expect: pass ? 'pass' : 'denied', got, ok };
}

function report(name: string, cells: Cell[]) {
  const failed = cells.filter((c) => !c.ok && !KNOWN_FAILING.includes(`${c.route} × ${c.caller}`));
  const known = cells.filter((c) => KNOWN_FAILING.includes(`${c.route} × ${c.caller}`));
  console.log(`tenant matrix (${name}): ${cells.length} cells, ${cells.length - failed.length - known.length} passed, ${failed.length} failed, ${known.length} known-failing (listed in policy.ts)`);
  expect(failed.map((c) => `${c.route} × ${c.caller}: expected ${c.expect}, got ${c.got}`)).toEqual([]);
  // A known-failing cell documents a bug still open: when it starts passing, move it back into the asserted set.
  expect(known.filter((c) => c.ok).map((c) => `${c.route} × ${c.caller}`)).toEqual([]);
}

describe('tenant matrix', () => {
  it('every API route of the route table has a policy line, and none is stale', () => {
    const keys = t.app.routes.map((r) => `${r.method.toUpperCase()} ${r.path.replace(/^\/api\/v1/, '')}`);
    expect(keys.filter((k) => !(k in API_POLICY))).toEqual([]);
    expect(Object.keys(API_POLICY).filter((k) => !keys.includes(k))).toEqual([]);
  });

  it('API: every route × every caller', async () => {
    const cells: Cell[] = [];
    for (const r of t.app.routes) {
      const path = r.path.replace(/^\/api\/v1/, '');
      const key = `${r.method.toUpperCase()} ${path}`;
      const allowed = API_POLICY[key] ?? [];
      const scoped = path.includes(':code');
      const upload = path.includes('*path');
      const body = r.method === 'get' ? undefined : upload ? { data: 'matrix', type: 'application/octet-stream' } : { data: '{}', type: 'application/json' };
      // the callers of one route side by side (the cells are independent); routes one after another
      await Promise.all(
        CALLERS.map(async (caller) => {
          const auth = tokens[caller] ? `Bearer ${tokens[caller]}` : null;
          const real = await call(r.method.toUpperCase(), '/api/v1' + fill(path, sys.code), auth, body);
          const missing = scoped ? await call(r.method.toUpperCase(), '/api/v1' + fill(path, MISSING), auth, body) : null;
          cells.push(judge(key, caller, allowed, READERS, scoped, real, missing));
        }),
      );
    }
    report('API', cells);
  }, 300_000);

  it('git smart HTTP and Git LFS: every endpoint × every caller', async () => {
    const cells: Cell[] = [];
    const gitReaders = [...READERS, 'ownerNoApiScope'] as Caller[];
    for (const g of GIT_CASES) {
      const body = g.body ? { data: g.body, type: g.contentType! } : undefined;
      await Promise.all(
        CALLERS.map(async (caller) => {
          const auth = tokens[caller] ? `Basic ${Buffer.from(`x:${tokens[caller]}`).toString('base64')}` : null;
          const real = await call(g.method, `/git/${sys.code}.git${g.suffix}`, auth, body);
          const missing = await call(g.method, `/git/${MISSING}.git${g.suffix}`, auth, body);
          cells.push(judge(g.name, caller, g.allowed, gitReaders, true, real, missing));
        }),
      );
    }
    report('git', cells);
  }, 300_000);

  it('UI pages: every page of the route table × every signed-in kind of caller (and anonymous)', async () => {
    for (const c of UI_CALLERS) {
      const who = logins[c];
      if (!who) {
        sessions[c] = null;
        continue;
      }
      const ui = formClient(t.url);
      sessions[c] = setCookie(await ui.signIn(who.login, who.password), 'qoima_session') ?? null;
    }
    const pages = uiRoutes().filter((r) => r.method === 'GET');
    expect(pages.map((p) => p.path).filter((p) => !(p in UI_PAGES))).toEqual([]);
    expect(Object.keys(UI_PAGES).filter((p) => !pages.some((r) => r.path === p))).toEqual([]);
    const cells: Cell[] = [];
    // a missing code as long as the real one: a page may echo the address it was asked for (the sign-in
    // redirect's `next`, the language switch), which is the caller's own input — mapped back before comparing
    const ghost = 'Z' + sys.code.slice(1);
    const echo = (r: Res) => {
      r.body = r.body.split(ghost).join(sys.code);
      for (const k of Object.keys(r.headers)) r.headers[k] = r.headers[k].split(ghost).join(sys.code);
    };
    for (const p of pages) {
      const scoped = p.path.includes(':code');
      await Promise.all(
        UI_CALLERS.map(async (caller) => {
          const q = /\/(blob|raw)$/.test(p.path) ? '?path=BUILD.md' : ''; // a file of the repository skeleton
          const real = await call('GET', fill(p.path, sys.code) + q, null, undefined, sessions[caller]);
          const missing = scoped ? await call('GET', fill(p.path, ghost) + q, null, undefined, sessions[caller]) : null;
          if (missing) echo(missing);
          cells.push(judge(`UI GET ${p.path}`, caller, UI_PAGES[p.path], READERS, scoped, real, missing));
        }),
      );
    }
    report('UI pages', cells);
  }, 300_000);

  it('UI forms: a session without the CSRF token changes nothing (403), whoever posts it', async () => {
    const forms = uiRoutes().filter((r) => r.method === 'POST');
    const audit = async () => JSON.stringify(await t.deps.db('audit_events').count({ n: '*' }));
    const before = await audit();
    const cells: Cell[] = [];
    for (const f of forms)
      for (const caller of UI_CALLERS) {
        // one after another: the sign-in form's rate limit counts these posts
        // the upload form is multipart (its CSRF token read from the first field); every other form urlencoded
        const body = f.path.endsWith('/upload') ? MULTIPART : { data: 'x=1', type: 'application/x-www-form-urlencoded' };
        const r = await call('POST', fill(f.path, sys.code), null, body, sessions[caller]);
        const ok =
          r.status === 403 ||
          (caller === 'anonymous' && r.status === 303 && (r.headers.location ?? '').startsWith('/login')) ||
          // the sign-in form is rate-limited per address and login before anything else: refused all the same
          (f.path === '/login' && r.status === 429) ||
          // an upload to a system the caller may not write is the missing system's 404 before any field is read
          (f.path.endsWith('/upload') && r.status === 404 && !UI_PAGES['/systems/:code/upload'].includes(caller));
        cells.push({ route: `UI POST ${f.path} (no CSRF)`, caller, expect: 'denied', got: `${r.status} ${r.body.slice(0, 100)}`, ok });
      }
    report('UI forms without CSRF', cells);
    expect(await audit()).toBe(before);
  }, 300_000);
});
