import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { basic, formedSystem, pkt, raw, type TestSystem } from '../helpers/git.js';
import { validForm } from '../integration/intake-fixtures.js';
import { formClient } from '../helpers/browser.js';

// The adversarial suite (issue 13 §2): bad input on every kind of endpoint — each gets a clear 4xx,
// changes nothing (database rows, refs, blobs compared before and after) and leaves the server up.
let t: TestApp;
let sys: TestSystem;
let staffToken: string;

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** What must not change: row counts of the tables bad input could touch, the refs of the repository, the blobs. */
async function snapshot(): Promise<string> {
  const tables = ['systems', 'applications', 'audit_events', 'access_grants', 'tokens', 'users', 'organizations'];
  const counts = await Promise.all(tables.map(async (name) => `${name}=${JSON.stringify(await t.deps.db(name).count({ n: '*' }))}`));
  const repo = await raw(t.url, 'GET', `/api/v1/systems/${sys.code}/repository`, { headers: bearer(sys.owner.token) });
  const refs = await raw(t.url, 'GET', `/git/${sys.code}.git/info/refs?service=git-upload-pack`, { headers: { Authorization: basic(sys.owner.token) } });
  return [...counts, repo.body.toString(), refs.body.toString()].join('\n');
}

async function stillUp() {
  const r = await raw(t.url, 'GET', '/healthz');
  expect(r.status).toBe(200);
}

beforeAll(async () => {
  t = await startTestApp();
  sys = await formedSystem(t, { developer: true });
  staffToken = (await t.addUser({ role: 'operator_staff', bin: '000740001307' })).token;
});
afterAll(async () => {
  await t?.stop();
});

// `..`, encoded dots and slashes, backslashes, NUL, overlong UTF-8, Unicode look-alikes (one-dot leader, fullwidth solidus)
const EVIL = ['..', '%2e%2e', '.%2e', '..%2f..%2fetc%2fpasswd', '%2e%2e%2f%2e%2e', '..%5c..%5cwindows', '%00', 'a%00b', '%c0%ae%c0%ae', '%c0%af', '%e2%80%a4%e2%80%a4', '%ef%bc%8fetc', '..;', '.git', `${'A'.repeat(300)}`];

describe('path traversal in every path parameter', () => {
  it(`the system code of the API and git (${EVIL.length} variants × 4 endpoints): a 4xx, nothing changed`, async () => {
    const before = await snapshot();
    const paths = (p: string) => [`/api/v1/systems/${p}`, `/api/v1/systems/${p}/inventory`, `/git/${p}.git/info/refs?service=git-upload-pack`, `/git/${p}/info/refs?service=git-upload-pack`];
    const bad: string[] = [];
    for (const p of EVIL)
      for (const path of paths(p)) {
        const r = await raw(t.url, 'GET', path, { headers: { Authorization: path.startsWith('/git') ? basic(sys.owner.token) : `Bearer ${sys.owner.token}` } });
        if (r.status < 400 || r.status >= 500) bad.push(`${path} → ${r.status}`);
      }
    expect(bad).toEqual([]);
    expect(await snapshot()).toBe(before);
    await stillUp();
  });

  it(`the system code of the UI pages, signed in (${EVIL.length} variants × 3 pages): a 4xx page`, async () => {
    const ui = formClient(t.url);
    await ui.signIn(sys.owner.login, sys.owner.password);
    const bad: string[] = [];
    for (const p of EVIL)
      for (const path of [`/systems/${p}`, `/systems/${p}/repository`, `/systems/${p}/inventory`]) {
        const r = await ui.agent.get(path).redirects(0);
        if (r.status < 400 || r.status >= 500) bad.push(`${path} → ${r.status}`);
      }
    expect(bad).toEqual([]);
    await stillUp();
  });

  it('the file path of an upload and the ids of the API: a 4xx, nothing written outside the deposit', async () => {
    const before = await snapshot();
    const bad: string[] = [];
    for (const p of EVIL) {
      // `..;` is an ordinary (if odd) file name inside the deposit, not a way out of it
      for (const path of p === '..;' ? [] : [`/api/v1/systems/${sys.code}/files/source/${p}/x.txt`, `/api/v1/systems/${sys.code}/files/source/${p}`, `/api/v1/systems/${sys.code}/files/${p}/x.txt`]) {
        const r = await raw(t.url, 'PUT', path, { headers: { ...bearer(sys.owner.token), 'Content-Type': 'application/octet-stream' }, body: 'evil' });
        if (r.status < 400 || r.status >= 500) bad.push(`PUT ${path} → ${r.status}`);
      }
      for (const path of [`/api/v1/applications/${p}`, `/api/v1/systems/${sys.code}/deposits/${p}`, `/api/v1/calendar/${p}`, `/api/v1/reports/${p}`]) {
        const r = await raw(t.url, 'GET', path, { headers: bearer(staffToken) });
        if (r.status < 400 || r.status >= 500) bad.push(`GET ${path} → ${r.status}`);
      }
    }
    expect(bad).toEqual([]);
    expect(await snapshot()).toBe(before);
    await stillUp();
  });
});

describe('hostile bodies', () => {
  it('a JSON body nested 10 000 deep: a 4xx, no crash', async () => {
    const before = await snapshot();
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const obj = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    for (const body of [deep, obj, JSON.stringify({ ...validForm({ systemCode: 'DEEP-1' }), applicant: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) as unknown })]) {
      const r = await raw(t.url, 'POST', '/api/v1/applications', { headers: { ...bearer(sys.owner.token), 'Content-Type': 'application/json' }, body });
      expect(r.status, r.body.toString().slice(0, 200)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect(await snapshot()).toBe(before);
    await stillUp();
  });

  it('malformed Git LFS batch JSON: a 4xx for each (a bad object: its own 422 in a 200, as the Batch API says), nothing stored', async () => {
    const before = await snapshot();
    const oid = 'b'.repeat(64);
    const bodies = [
      '{',
      '[]',
      'null',
      '"upload"',
      JSON.stringify({ operation: 'steal', objects: [{ oid, size: 1 }] }),
      JSON.stringify({ operation: 'upload' }),
      JSON.stringify({ operation: 'upload', objects: 'all' }),
      JSON.stringify({ operation: 'upload', objects: [{ oid: '../../etc/passwd', size: 1 }] }),
      JSON.stringify({ operation: 'upload', objects: [{ oid: 'B'.repeat(64), size: 1 }] }),
      JSON.stringify({ operation: 'upload', objects: [{ oid, size: -1 }] }),
      JSON.stringify({ operation: 'upload', objects: [{ oid, size: 1e300 }] }),
      JSON.stringify({ operation: 'upload', objects: [{ oid, size: '1' }] }),
      JSON.stringify({ operation: 'upload', objects: Array.from({ length: 20_000 }, (_, i) => ({ oid: i.toString(16).padStart(64, '0'), size: 1 })) }),
      JSON.stringify({ operation: 'download', objects: [{ oid, size: 1 }], ref: { name: 123 } }),
    ];
    const got: string[] = [];
    for (const body of bodies) {
      const r = await raw(t.url, 'POST', `/git/${sys.code}.git/info/lfs/objects/batch`, { headers: { Authorization: basic(sys.owner.token), 'Content-Type': 'application/vnd.git-lfs+json', Accept: 'application/vnd.git-lfs+json' }, body });
      // the Batch API answers a well-formed request about bad objects with 200 and an error per object
      const perObject = r.status === 200 && (JSON.parse(r.body.toString()) as { objects: { error?: { code: number }; actions?: unknown }[] }).objects.every((o) => o.error?.code === 422 && !o.actions);
      if (!perObject && (r.status < 400 || r.status >= 500)) got.push(`${body.slice(0, 60)} → ${r.status} ${r.body.toString().slice(0, 120)}`);
    }
    expect(got).toEqual([]);
    expect(await snapshot()).toBe(before);
    await stillUp();
  });

  it('pkt-line garbage to upload-pack and receive-pack: refused, no ref changed, no 5xx', async () => {
    const before = await snapshot();
    const garbage = ['zzzz', 'ffff' + 'x'.repeat(100), '0003', '0004', pkt('want ' + 'z'.repeat(40) + '\n') + '0000', pkt('command=ls-refs\n') + '0001' + pkt('ref-prefix ../../\n') + '0000', '\x00'.repeat(64), pkt(`${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\0 report-status\n`) + '0000PACKgarbage'];
    const got: string[] = [];
    for (const svc of ['git-upload-pack', 'git-receive-pack']) {
      for (const body of garbage) {
        const r = await raw(t.url, 'POST', `/git/${sys.code}.git/${svc}`, { headers: { Authorization: basic(sys.owner.token), 'Content-Type': `application/x-${svc}-request`, 'Git-Protocol': 'version=2' }, body });
        if (r.status >= 500) got.push(`${svc} ${JSON.stringify(body.slice(0, 30))} → ${r.status}`);
      }
    }
    expect(got).toEqual([]);
    expect(await snapshot()).toBe(before);
    await stillUp();
  });
});

describe('CSV injection in the register export', () => {
  it('cells a spreadsheet would run as formulas are exported as text', async () => {
    const formulas = ['=cmd|\' /C calc\'!A0', '+SUM(1,2)', '-2+3', '@SUM(A1)', '\t=1+1'];
    const apps = [];
    // the signer's name and position make the register's "applicant" cell
    for (const [i, applicant] of formulas.entries()) {
      const r = await raw(t.url, 'POST', '/api/v1/applications', { headers: { ...bearer(sys.owner.token), 'Content-Type': 'application/json' }, body: JSON.stringify(validForm({ signer: { fullName: applicant, position: '@position' }, systemCode: `IS-CSV-${i}` })) });
      expect(r.status, r.body.toString()).toBe(201);
      apps.push(JSON.parse(r.body.toString()) as { id: number });
    }
    for (const a of apps) {
      const r = await raw(t.url, 'POST', `/api/v1/applications/${a.id}/register`, { headers: { ...bearer(staffToken), 'Content-Type': 'application/json' }, body: '{}' });
      expect(r.status, r.body.toString()).toBe(200);
    }
    const csv = await raw(t.url, 'GET', '/api/v1/register.csv?year=2026', { headers: bearer(staffToken) });
    expect(csv.status).toBe(200);
    const text = csv.body.toString('utf8');
    // every cell, unquoted as a spreadsheet would read it
    const cells = text.split('\r\n').flatMap((line) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g) ?? []).map((c) => c.replace(/,$/, '').replace(/^"(.*)"$/s, '$1').replace(/""/g, '"').replace(/^\uFEFF/, ''));
    for (const f of formulas) expect(text).toContain(`'${f.trim()}`); // (the form trims the tab)
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
  });
});

describe('headers, sizes, file names and filters', () => {
  it('an oversize header is refused (431) and an oversize JSON body (413), the server still up', async () => {
    const big = await raw(t.url, 'GET', '/api/v1/me', { headers: { ...bearer(sys.owner.token), 'X-Padding': 'a'.repeat(64 * 1024) } });
    expect(big.status).toBe(431);
    const before = await snapshot();
    const body = JSON.stringify({ ...validForm({ systemCode: 'IS-BIG' }), annotation: 'x'.repeat(t.config.maxJsonBytes + 10) });
    const r = await raw(t.url, 'POST', '/api/v1/applications', { headers: { ...bearer(sys.owner.token), 'Content-Type': 'application/json' }, body });
    expect(r.status).toBe(413);
    expect(await snapshot()).toBe(before);
    await stillUp();
  });

  it('a file name with quotes, semicolons and Cyrillic cannot inject into Content-Disposition of its download', async () => {
    const name = 'source/evil";x=1; filename=pwn.exe Файл.txt';
    const put = await raw(t.url, 'PUT', `/api/v1/systems/${sys.code}/files/${name.split('/').map(encodeURIComponent).join('/')}`, { headers: { ...bearer(sys.owner.token), 'Content-Type': 'application/octet-stream' }, body: 'payload' });
    expect(put.status, put.body.toString()).toBe(201);
    const ui = formClient(t.url);
    await ui.signIn(sys.owner.login, sys.owner.password);
    const r = await ui.agent.get(`/systems/${sys.code}/repository/raw`).query({ path: name });
    expect(r.status).toBe(200);
    const cd = String(r.headers['content-disposition']);
    expect(cd).not.toMatch(/[\r\n]/);
    // one parameter only, RFC 5987-encoded: the quote and the semicolon cannot open a second one
    expect(cd).toMatch(/^attachment; filename\*=UTF-8''[^;"\s]+$/);
    expect(decodeURIComponent(cd.replace(/^attachment; filename\*=UTF-8''/, ''))).toBe('evil";x=1; filename=pwn.exe Файл.txt');
  });

  it('SQL metacharacters in every filter: a 4xx or an answer within the caller\'s own scope, nothing changed', async () => {
    const stranger = await t.addUser({ role: 'body_user' });
    const before = await snapshot();
    const evil = ["' OR '1'='1", '%', '_', '\\', "'; DROP TABLE systems; --", '" OR ""="', '1) OR (1=1', '%00'];
    const bad: string[] = [];
    for (const v of evil) {
      for (const [path, key] of [['/api/v1/systems', 'items'], ['/api/v1/applications', 'items'], ['/api/v1/catalogue', 'items'], ['/api/v1/access-requests', 'items'], ['/api/v1/returns', 'items']] as const) {
        for (const param of ['q', 'status', 'year', 'organization']) {
          const r = await raw(t.url, 'GET', `${path}?${param}=${encodeURIComponent(v)}`, { headers: bearer(stranger.token) });
          if (r.status >= 500) bad.push(`${path}?${param}=${v} → ${r.status}`);
          else if (r.status === 200 && ((JSON.parse(r.body.toString()) as Record<string, unknown[]>)[key] ?? []).length > 0) bad.push(`${path}?${param}=${v} → rows of others`);
        }
      }
      const reg = await raw(t.url, 'GET', `/api/v1/register?year=${encodeURIComponent(v)}`, { headers: bearer(staffToken) });
      if (reg.status !== 400) bad.push(`/api/v1/register?year=${v} → ${reg.status}`);
    }
    expect(bad).toEqual([]);
    expect(await snapshot()).toBe(before);
    await stillUp();
  });
});
