import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import type { Views } from '../http/views.js';
import { findSystemFor } from '../systems/queries.js';
import { parseInput } from '../util/validate.js';
import { CLOSED_STATUSES } from './push-policy.js';
import { readableWithRepository } from './queries.js';
import * as read from './read.js';
import { BrowseQuery } from './schemas.js';
import { WITH_REPOSITORY } from './service.js';
import { noteGrantUse } from '../access/use.js';

const code = (req: Request) => String(req.params.code);

/** The repository browser (issue 4 §6): HTTP only — parse, look up (scoped), read, render. */
export function repositoryPages(deps: AppDeps, views: Views) {
  const base = (req: Request) => deps.config.publicUrl ?? `${req.protocol}://${req.get('host')}`;

  async function open(req: Request) {
    const query = parseInput(BrowseQuery, req.query);
    const repo = await read.openRepository(deps, principalOf(req), code(req));
    const refs = await read.refsOf(deps, repo);
    const at = await read.commitFor(deps, repo, query.ref, refs.head);
    return { query, repo, refs, at };
  }

  return {
    async list(req: Request, res: Response) {
      const systems = await readableWithRepository(deps.db, principalOf(req), WITH_REPOSITORY);
      views.render(req, res, 'repositories/list', { systems });
    },

    async show(req: Request, res: Response) {
      const { query, repo, refs, at } = await open(req);
      const tree = at ? await read.treeOf(deps, repo, at.commit, query.path) : [];
      const recent = at && !query.path ? (await read.logOf(deps, repo, at.commit, 1, 10)).items : [];
      const writable = !CLOSED_STATUSES.includes(repo.system.status) && (await findSystemFor(deps.db, principalOf(req), repo.system.code, 'write')) !== undefined;
      views.render(req, res, 'repositories/show', {
        system: repo.system, refs, at, path: query.path, tree, recent, writable,
        cloneUrl: read.cloneUrl(base(req), repo.system.code), scripts: ['copy.js'],
      });
    },

    async commits(req: Request, res: Response) {
      const { query, repo, refs, at } = await open(req);
      const log = at ? await read.logOf(deps, repo, at.commit, query.page) : { items: [], more: false };
      views.render(req, res, 'repositories/commits', { system: repo.system, refs, at, log, page: query.page });
    },

    async blob(req: Request, res: Response) {
      const { query, repo, refs, at } = await open(req);
      if (!at) return views.render(req, res, 'error', { status: 404, code: 'not_found', message: '' }, 404);
      const file = await read.fileOf(deps, repo, at.commit, query.path);
      views.render(req, res, 'repositories/blob', { system: repo.system, refs, at, file });
    },

    /** The file's bytes as stored in git (for an LFS file: its pointer), as a download. */
    async raw(req: Request, res: Response) {
      const { query, repo, at } = await open(req);
      if (!at) return res.status(404).end();
      const entry = await read.rawEntryOf(deps, repo, at.commit, query.path);
      await noteGrantUse(deps, principalOf(req), req.ip ?? null, repo.system.id, { via: 'web-download', path: query.path, ref: at.commit }); // access/: audited (issue 7)
      const name = query.path.slice(query.path.lastIndexOf('/') + 1);
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(entry.size),
        'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'private, no-cache',
      });
      // Spawned only now, with nothing left to await: git's output goes straight out.
      const file = read.rawStreamOf(deps, repo, entry);
      let sent = 0;
      file.stream.on('data', (chunk: Buffer) => (sent += chunk.length));
      pipeline(file.stream, res).then(
        () => {
          // git ended early (the object unreadable): cut the connection rather than let the
          // client wait for bytes promised by Content-Length.
          if (sent !== entry.size) res.destroy();
        },
        () => file.stop(),
      );
    },
  };
}
