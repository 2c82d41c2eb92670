import { chromium, type Browser, type LaunchOptions } from 'playwright-core';
import request from 'supertest';

/**
 * How tests act like a browser: real headless Chromium (Debian `chromium`) driven by
 * playwright-core, and, for the many cases that need no rendering, a supertest cookie jar that
 * fills forms the way a browser does (reading the `_csrf` field from the page).
 */
export const CHROMIUM_LAUNCH: LaunchOptions = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  // No sandbox (containers run as root), and nothing that reaches the network on its own.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
};

export function launchBrowser(): Promise<Browser> {
  return chromium.launch(CHROMIUM_LAUNCH);
}

/** The CSRF token of the first form of a page. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field on the page');
  return m[1];
}

export type Agent = ReturnType<typeof request.agent>;

/** A cookie jar that posts forms like a browser: GET the page, take its `_csrf`, POST with it. */
export function formClient(baseUrl: string, lang?: 'kk' | 'ru' | 'en') {
  const agent = request.agent(baseUrl);
  if (lang) agent.set('Accept-Language', lang);
  const client = {
    agent,
    /** Posts `fields` to `action` with the CSRF token of the page at `from` (default: the action). */
    async post(action: string, fields: Record<string, string | string[]>, from = action) {
      const page = await agent.get(from);
      return agent.post(action).type('form').send(formBody({ ...fields, _csrf: csrfOf(page.text) }));
    },
    async signIn(login: string, password: string) {
      const res = await client.post('/login', { login, password });
      if (res.status !== 303) throw new Error(`sign-in of ${login} failed: ${res.status}`);
      return res;
    },
  };
  return client;
}

/** A form body as a browser encodes it: a list repeats its key (`scopes=api&scopes=git%3Aread`). */
export function formBody(fields: Record<string, string | string[]>): string {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
  return body.toString();
}

/** The value of a Set-Cookie header's cookie, if the response sets it. */
export function setCookie(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  const hit = list.find((c) => c.startsWith(name + '='));
  return hit ? hit.slice(name.length + 1).split(';')[0] : undefined;
}
