import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Duplex } from 'node:stream';

/**
 * Spawning git: always an argument vector (never a shell), always in its own process group so that
 * killing it also kills what it started (upload-pack → pack-objects, receive-pack → index-pack and
 * the hooks).
 */
export function spawnGit(args: string[], env: NodeJS.ProcessEnv, cwd?: string): ChildProcessWithoutNullStreams {
  return spawn('git', args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true, windowsHide: true });
}

/** Like spawnGit, with a socketpair on the child's fd 3 (the hooks' channel, server/git/hooks.ts). */
export function spawnGitWithChannel(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcessWithoutNullStreams; channel: Duplex } {
  const child = spawn('git', args, { env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true, windowsHide: true });
  return { child: child as unknown as ChildProcessWithoutNullStreams, channel: child.stdio[3] as Duplex };
}

/** Ends a spawned git and its whole process group: TERM now, KILL if still there a moment later. */
export function killGit(child: ChildProcessWithoutNullStreams): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 2000);
  timer.unref();
  child.once('exit', () => {
    clearTimeout(timer);
    // pack-objects may outlive its parent for a moment: make sure the group is empty.
    signal('SIGKILL');
  });
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export class GitFailed extends Error {
  constructor(
    readonly args: string[],
    readonly result: GitResult,
  ) {
    super(`git ${args[0]} failed (${result.code}): ${result.stderr.trim().slice(0, 500)}`);
  }
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  /** Stop reading stdout after this many bytes (the process is killed): bounded memory. */
  maxStdout?: number;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-base --is-ancestor`). */
  okCodes?: number[];
}

/** Runs git to completion and buffers its output (for small answers: refs, sizes, listings). */
export function runGit(args: string[], opts: RunOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(args, opts.env, opts.cwd);
    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const max = opts.maxStdout ?? 64 * 1024 * 1024;
      if (outBytes + chunk.length > max) {
        out.push(chunk.subarray(0, max - outBytes));
        outBytes = max;
        truncated = true;
        killGit(child);
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (err.length < 65536) err += chunk;
    });
    child.stdin.on('error', () => undefined); // git may exit before reading all input
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: err };
      if (truncated || result.code === 0 || opts.okCodes?.includes(result.code)) resolve(result);
      else reject(new GitFailed(args, result));
    });
    child.stdin.end(opts.input ?? '');
  });
}
