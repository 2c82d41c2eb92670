import { createReadStream, existsSync } from 'node:fs';
import type { Request, Response } from 'express';
import { SYSTEM_ACTOR, type AppDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import { parseRange, sendStream } from '../http/send-stream.js';
import { parseInput } from '../util/validate.js';
import { ReturnConflict } from './errors.js';
import { ensureZip, launchPackageJob, recoverInterruptedJobs, resumeZips, WORKER } from './job.js';
import * as read from './read.js';
import { ReturnListQuery } from './schemas.js';
import * as returns from './service.js';

const code = (req: Request) => String(req.params.code);

/**
 * Starts a return's package job: first any job a crash left `generating` is marked failed (so it
 * neither blocks the retry nor is left forever), then the transition, then the job after the commit.
 */
export async function startReturnJob(deps: AppDeps, req: Request): Promise<void> {
  await recoverInterruptedJobs(deps);
  const started = await returns.startReturn(deps, principalOf(req), actorOf(req), code(req), WORKER);
  launchPackageJob(deps, actorOf(req), started.packageId);
}

/**
 * A ready package, streamed from its file: `Content-Length`, `ETag` (its SHA-256), `Repr-Digest`,
 * single `Range` requests (resume; past the end is 416). Every download that sends bytes is audited.
 */
export async function sendPackage(deps: AppDeps, req: Request, res: Response, format: read.PackageFormat): Promise<void> {
  const { system, pkg } = await read.readyPackage(deps, principalOf(req), code(req));
  if (format === 'zip' && !pkg.zip_sha256) {
    // The zip is made from the tar once the package is ready; a restart may have cut that short.
    void ensureZip(deps, SYSTEM_ACTOR, pkg.id);
    res.setHeader('Retry-After', '30');
    throw new ReturnConflict('zip_pending', { code: system.code });
  }
  const size = (format === 'zip' ? pkg.zip_size : pkg.tar_size) ?? 0;
  const sha256 = (format === 'zip' ? pkg.zip_sha256 : pkg.tar_sha256) ?? '';
  const file = read.packageFile(deps.config.dataDir, system.id, pkg.bag_name, format);
  if (!existsSync(file)) throw new Error(`return package file missing: ${file}`);
  const etag = `"${sha256}"`;
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? null : parseRange(req.headers.range, size);
  if (req.method === 'GET' && req.headers['if-none-match'] !== etag && range !== 'unsatisfiable') {
    await returns.recordDownload(deps, actorOf(req), system.id, pkg, { format, range });
  }
  res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(sha256, 'hex').toString('base64')}:`);
  res.setHeader('Cache-Control', 'private, no-cache');
  await sendStream(req, res, {
    size,
    etag: sha256,
    type: format === 'zip' ? 'application/zip' : 'application/x-tar',
    filename: `${pkg.bag_name}.${format}`,
    open: (r) => createReadStream(file, { ...(r ?? {}), highWaterMark: 1 << 20 }),
  });
}

/** REST handlers of decommissioning and returns (Rules p.11–12): HTTP only. */
export function returnsApi(deps: AppDeps) {
  // A package a crash left `generating` is marked failed as the service comes up.
  recoverInterruptedJobs(deps).catch((err: unknown) => deps.logger.warn({ err }, 'returns: recovery of interrupted packages failed'));
  resumeZips(deps).catch((err: unknown) => deps.logger.warn({ err }, 'returns: making the zips a restart left unmade failed'));
  return {
    async notice(req: Request, res: Response) {
      res.status(201).json(await returns.notifyDecommission(deps, principalOf(req), actorOf(req), code(req), req.body));
    },
    async get(req: Request, res: Response) {
      res.json(await read.getReturn(deps, principalOf(req), code(req)));
    },
    async start(req: Request, res: Response) {
      await startReturnJob(deps, req);
      res.status(202).json(await read.getReturn(deps, principalOf(req), code(req)));
    },
    zip: (req: Request, res: Response) => sendPackage(deps, req, res, 'zip'),
    tar: (req: Request, res: Response) => sendPackage(deps, req, res, 'tar'),
    async transfer(req: Request, res: Response) {
      res.json(await returns.transferToArchive(deps, principalOf(req), actorOf(req), code(req), req.body));
    },
    async purge(req: Request, res: Response) {
      res.json(await returns.purgeRepository(deps, principalOf(req), actorOf(req), code(req), req.body));
    },
    async list(req: Request, res: Response) {
      const { status } = parseInput(ReturnListQuery, req.query);
      res.json({ items: await read.listReturns(deps, principalOf(req), status) });
    },
  };
}
