import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Transform, pipeline, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Request, Response } from 'express';
import type { Metrics } from '../http/metrics.js';
import { GitError } from './errors.js';
import { type HookHandler, serveHookChannel } from './hooks.js';
import { killGit, spawnGit, spawnGitWithChannel } from './run.js';

/**
 * git's smart HTTP protocol (gitprotocol-http(5), gitprotocol-v2(5)), served by git itself:
 * `git upload-pack` / `git receive-pack` with `--stateless-rpc`, and `--advertise-refs` for the
 * ref advertisement. This module only moves bytes between the HTTP request/response and the
 * process — streamed both ways, never buffered whole — and keeps HTTP's side of the contract:
 * content types, no caching, gzip request bodies, a client that goes away.
 */
export type GitService = 'upload-pack' | 'receive-pack';

export function serviceFromQuery(value: unknown): GitService | null {
  if (value === 'git-upload-pack') return 'upload-pack';
  if (value === 'git-receive-pack') return 'receive-pack';
  return null;
}

/** Largest gzip-inflated request body: git's own http.maxRequestBuffer for negotiation (10 MB);
 *  pushes are gzipped by the client only when small (http.postBuffer), so a cap there only stops bombs
 *  (config.gitGzipMaxBytes, default 512 MB). */
const GZIP_CAP: Record<GitService, number> = { 'upload-pack': 10 * 1024 * 1024, 'receive-pack': 512 * 1024 * 1024 };

/**
 * Whether the client asked for protocol v2. Only `version=2` is ever handed to git (as
 * GIT_PROTOCOL), and only to upload-pack; a header that is not a well-formed `key[=value]:…` list is
 * refused rather than passed on.
 */
export function wantsV2(header: string | string[] | undefined, service: GitService): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(':') : header;
  if (value.length > 256 || !/^[A-Za-z0-9._-]+(=[A-Za-z0-9._-]+)?(:[A-Za-z0-9._-]+(=[A-Za-z0-9._-]+)?)*$/.test(value)) {
    throw new GitError(400, 'git_protocol_invalid');
  }
  return service === 'upload-pack' && value.split(':').includes('version=2');
}

const NO_CACHE = { Expires: 'Fri, 01 Jan 1980 00:00:00 GMT', Pragma: 'no-cache', 'Cache-Control': 'no-cache, max-age=0, must-revalidate' };

function pktLine(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'ascii'), body]);
}

export interface RunContext {
  service: GitService;
  repo: string;
  env: NodeJS.ProcessEnv;
  /** Extra `-c key=value` settings for this process (e.g. core.hooksPath for receive-pack). */
  config?: string[];
  metrics: Metrics;
  /** Cap of a gzip-inflated receive-pack body (upload-pack's is git's own 10 MB); default GZIP_CAP. */
  gzipMaxBytes?: number;
  onStderr?: (text: string) => void;
  /** receive-pack: answers its pre-/post-receive hooks over fd 3 (server/git/hooks.ts). */
  hooks?: { handler: HookHandler; onError: (err: unknown) => void };
}

function gitArgs(ctx: RunContext, extra: string[]): string[] {
  const config = (ctx.config ?? []).flatMap((c) => ['-c', c]);
  const strict = ctx.service === 'upload-pack' ? ['--strict'] : [];
  return [...config, ctx.service, ...strict, '--stateless-rpc', ...extra, '--', ctx.repo];
}

/** GET info/refs?service=…: the ref advertisement (v0 with its `# service=` header, or v2 capabilities). */
export function advertiseRefs(_req: Request, res: Response, ctx: RunContext & { v2: boolean }): Promise<void> {
  return runService(null, res, ctx, ['--advertise-refs'], ctx.v2 ? null : Buffer.concat([pktLine(`# service=git-${ctx.service}\n`), Buffer.from('0000')]), `application/x-git-${ctx.service}-advertisement`);
}

/** POST git-upload-pack / git-receive-pack: one stateless exchange. */
export function serviceRpc(req: Request, res: Response, ctx: RunContext): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== `application/x-git-${ctx.service}-request`) throw new GitError(415, 'content_type_unsupported', { expected: `application/x-git-${ctx.service}-request` });
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!['identity', 'gzip', 'x-gzip'].includes(encoding)) throw new GitError(415, 'content_encoding_unsupported');
  return runService(req, res, ctx, [], null, `application/x-git-${ctx.service}-result`, encoding !== 'identity');
}

/** Counts inflated bytes and stops the stream past the cap (a gzip bomb inflates without end). */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) cb(new GitError(413, 'request_too_large'));
      else cb(null, chunk);
    },
  });
}

function runService(req: Request | null, res: Response, ctx: RunContext, extra: string[], preamble: Buffer | null, contentType: string, gzip = false): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    if (ctx.hooks) {
      const spawned = spawnGitWithChannel(gitArgs(ctx, extra), ctx.env);
      child = spawned.child;
      serveHookChannel(spawned.channel, ctx.hooks.handler, ctx.hooks.onError);
      // Only git's processes hold the other end: once receive-pack is gone nothing more will come.
      child.once('exit', () => spawned.channel.destroy());
    } else {
      child = spawnGit(gitArgs(ctx, extra), ctx.env);
    }
    let inputError: Error | null = null;
    let bodyDone = req === null;
    let clientGone = false;
    let stderr = '';

    const startResponse = () => {
      if (res.headersSent || clientGone) return;
      res.writeHead(200, { 'Content-Type': contentType, ...NO_CACHE });
      if (preamble) res.write(preamble);
    };

    // upload-pack writes its pack in ~8 KB side-band packets. Reading and writing each one costs a
    // syscall and an HTTP chunk apiece, so reads are coalesced: after a small read, git's output is
    // left to gather in the pipe until the next turn of the event loop, then sent as one chunk
    // (a third of the syscalls, docs/benchmarks.md). A full socket buffer pauses git until the
    // client has read (backpressure, bounded memory).
    let bytesOut = 0;
    let bytesIn = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let scheduled = false;
    let backpressured = false;
    const flush = () => {
      scheduled = false;
      if (!pending.length || clientGone) return void (pending = []);
      startResponse();
      const ok = res.write(pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
      backpressured = !ok;
      if (backpressured) child.stdout.pause();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      bytesOut += chunk.length; // counted here, reported once at the end (not per 8 KB packet)
      if (clientGone) return; // drained and dropped: a receive-pack finishing its work must not block
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= 128 * 1024) return flush();
      if (scheduled) return;
      scheduled = true;
      child.stdout.pause();
      setImmediate(() => {
        flush();
        if (!backpressured) child.stdout.resume();
      });
    });
    res.on('drain', () => {
      backpressured = false;
      child.stdout.resume();
    });
    res.on('error', () => undefined);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (stderr.length < 8192) stderr += text;
    });

    // The client went away before the response was complete: stop git (and pack-objects with it).
    // A push whose request body has fully arrived is left to finish, so that refs, hooks and the
    // audit trail stay consistent; its output is simply dropped.
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      child.stdout.resume();
      if (ctx.service === 'upload-pack' || !bodyDone) killGit(child);
    });

    child.on('error', (err) => {
      inputError ??= err;
    });
    child.on('close', (code, signal) => {
      const result = clientGone ? 'aborted' : code === 0 ? 'ok' : 'error';
      ctx.metrics.gitOperations.inc({ service: ctx.service, result });
      ctx.metrics.bytesOut.inc({ kind: 'git' }, bytesOut);
      ctx.metrics.bytesIn.inc({ kind: 'git' }, bytesIn);
      if (stderr && ctx.onStderr) ctx.onStderr(stderr);
      if (clientGone) return resolve();
      if (inputError && !res.headersSent && !pending.length) {
        return reject(inputError instanceof GitError ? inputError : new GitError(code === null ? 500 : 400, 'git_request_failed', { signal: signal ?? '' }));
      }
      flush();
      startResponse();
      res.end();
      resolve();
    });

    if (!req) {
      child.stdin.end();
      return;
    }
    child.stdin.on('error', () => undefined); // git may stop reading early (it then reports why itself)
    req.on('data', (chunk: Buffer) => void (bytesIn += chunk.length));
    const done = (err: Error | null | undefined) => {
      if (!err) {
        bodyDone = true;
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') return; // git closed stdin: it ended on its own
      inputError = err instanceof GitError ? err : new GitError(400, 'request_body_invalid');
      killGit(child);
    };
    if (gzip) pipeline(req, createGunzip(), capped(ctx.service === 'receive-pack' && ctx.gzipMaxBytes ? ctx.gzipMaxBytes : GZIP_CAP[ctx.service]), child.stdin, done);
    else pipeline(req, child.stdin, done);
  });
}
