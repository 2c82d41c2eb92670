import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../server/paths.js';

/** The Node flags production runs the server with: those of `npm start` in package.json. */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /\bnode((?:\s+--\S+)*)\s+bin\/qoima\.js serve/.exec(pkg.scripts.start);
  if (!m) throw new Error('package.json: the start script does not run `node … bin/qoima.js serve`');
  return m[1].trim().split(/\s+/).filter(Boolean);
}

/**
 * The real server in its own process (so its memory can be read from /proc), on a free loopback
 * port, over the given data folder. Resolves when it listens.
 */
export async function startServerProcess(dataDir: string, env: Record<string, string> = {}, nodeArgs: string[] = productionNodeFlags()): Promise<{ url: string; pid: number; child: ChildProcess; stop(): Promise<void> }> {
  // The compiled server, as production runs it (`npm run build` first; run.ts does).
  const child = spawn(process.execPath, [...nodeArgs, join(projectRoot, 'bin/qoima.js'), 'serve'], {
    env: { ...process.env, QOIMA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', QOIMA_LOG_LEVEL: 'warn', QOIMA_SCRUB_MB_S: '0', QOIMA_ADMIN_PASSWORD: 'Bench-Pa55word-Qoima', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return {
    url,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Compiles the server (incremental) so benchmarks measure the same JavaScript production runs. */
export function buildServer(): void {
  const r = spawnSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', join(projectRoot, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

/** Samples a process's resident memory every `ms` until stopped; returns the peak in MB. */
export function rssSampler(pid: number, ms = 50) {
  let peak = 0;
  const read = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // the process has ended
    }
  };
  read();
  const timer = setInterval(read, ms);
  return {
    reset() {
      peak = 0;
      read();
    },
    stop() {
      clearInterval(timer);
      read();
      return peak;
    },
    get peak() {
      return peak;
    },
  };
}

export const mbps = (bytes: number, ms: number) => bytes / 1048576 / (ms / 1000);
export const fmt = (n: number, digits = 1) => n.toFixed(digits);
