/**
 * Pieces the git benchmarks share (git-transport.ts, load.ts): a client git environment, running
 * git, a source repository of a given size, and the baseline — plain `git http-backend` as a CGI
 * program behind the smallest Node HTTP server — started as its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A HOME with a .gitconfig and the environment a benchmark's git clients run with. */
export function clientGitEnv(work: string): NodeJS.ProcessEnv {
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.kz\n[init]\n\tdefaultBranch = main\n');
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LANG: 'C' };
}

export interface RunOpts {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** `run` resolves with the exit code and stderr; `ok` throws unless git (or any command) succeeded. */
export function runner(defaultEnv: NodeJS.ProcessEnv) {
  const run = (cmd: string, args: string[], opts: RunOpts = {}): Promise<{ code: number; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? defaultEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
  const ok = async (cmd: string, args: string[], opts: RunOpts = {}) => {
    const r = await run(cmd, args, opts);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  return { run, ok };
}

/** A client repository of about `mb` MB: 4 MB incompressible files plus a history of text files; returns its packed size. */
export async function makeSource(dir: string, mb: number, ok: ReturnType<typeof runner>['ok']): Promise<number> {
  await ok('git', ['init', '-q', dir]);
  const binaries = Math.round((mb * 0.9) / 4);
  for (let c = 0; c < 5; c++) {
    mkdirSync(join(dir, 'source', 'vendor'), { recursive: true });
    for (let i = c; i < binaries; i += 5) writeFileSync(join(dir, 'source', 'vendor', `blob-${i}.bin`), randomBytes(4 * 1024 * 1024));
    await ok('git', ['add', '-A'], { cwd: dir });
    await ok('git', ['commit', '-q', '--allow-empty', '-m', `vendor ${c}`], { cwd: dir });
  }
  const textBytes = mb * 0.1 * 1024 * 1024;
  for (let c = 0; c < 20; c++) {
    for (let i = 0; i < 100; i++) {
      const d = join(dir, 'source', 'app', `m${i % 10}`);
      mkdirSync(d, { recursive: true });
      const line = `// commit ${c} file ${i} ${randomBytes(24).toString('hex')}\n`;
      writeFileSync(join(d, `f${i}.ts`), line.repeat(Math.ceil(textBytes / 2000 / line.length)));
    }
    await ok('git', ['add', '-A'], { cwd: dir });
    await ok('git', ['commit', '-q', '-m', `app ${c}`], { cwd: dir });
  }
  await ok('git', ['repack', '-a', '-d', '-q'], { cwd: dir });
  const packDir = join(dir, '.git', 'objects', 'pack');
  return readdirSync(packDir).filter((f) => f.endsWith('.pack')).reduce((n, f) => n + statSync(join(packDir, f)).size, 0);
}

/** Resolves with the first capture of `pattern` in the child's stdout (its stderr is passed through). */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

/** The baseline: `git http-backend` as a CGI program behind the smallest Node HTTP server. */
const CGI_WRAPPER = `
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
const [root, gitconfig] = process.argv.slice(2);
process.on('SIGTERM', () => process.exit(0));
createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const child = spawn('git', ['http-backend'], { env: {
    PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: gitconfig,
    GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', REMOTE_USER: 'bench', REMOTE_ADDR: '127.0.0.1',
    PATH_INFO: decodeURIComponent(url.pathname), QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] || '', HTTP_CONTENT_ENCODING: req.headers['content-encoding'] || '',
    HTTP_GIT_PROTOCOL: req.headers['git-protocol'] || '', ...(process.env.GIT_TRACE2_PERF ? { GIT_TRACE2_PERF: process.env.GIT_TRACE2_PERF } : {}),
  } });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0); let started = false;
  child.stdout.on('data', (chunk) => {
    if (started) { if (!res.write(chunk)) { child.stdout.pause(); res.once('drain', () => child.stdout.resume()); } return; }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\\r\\n\\r\\n');
    if (end < 0) return;
    let status = 200; const headers = {};
    for (const line of head.subarray(0, end).toString().split('\\r\\n')) {
      const i = line.indexOf(':'); const k = line.slice(0, i); const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = parseInt(v, 10); else headers[k] = v;
    }
    res.writeHead(status, headers); started = true; res.write(head.subarray(end + 4));
  });
  child.on('close', () => res.end());
}).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });
`;

/**
 * Starts the baseline over `root` (bare repositories `<name>.git`), with the same global git config
 * as Qoima's (fsync included); `env` adds to its environment (HOME, GIT_TRACE2_PERF).
 */
export async function startBaseline(work: string, root: string, gitconfig: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const script = join(work, 'cgi.mjs');
  writeFileSync(script, CGI_WRAPPER);
  const child = spawn(process.execPath, [...nodeArgs, script, root, gitconfig], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { url: await waitForLine(child, /listening on (http:\/\/\S+)/), child };
}
