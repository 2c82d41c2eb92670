import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import type { Views } from '../http/views.js';
import { parseInput } from '../util/validate.js';
import { t, type Lang } from '../http/i18n.js';
import { formatTime } from '../intake/read.js';
import { ACT_MAX_FILES, formatSize } from './act.js';
import { findingMessage, findingOut } from './findings.js';
import * as read from './read.js';
import { ActQuery, DiffQuery, FilesQuery, InventoryQuery, VersionParam } from './schemas.js';
import { acceptDeposit } from './service.js';
import { DepositNotFound } from './errors.js';

const code = (req: Request) => String(req.params.code);

export function versionOf(req: Request): number {
  const parsed = VersionParam.safeParse(String(req.params.version));
  if (!parsed.success) throw new DepositNotFound('deposit_not_found', { version: String(req.params.version) });
  return parsed.data;
}

/** REST handlers of deposits: HTTP only — parse, call, answer. */
export function depositsApi(deps: AppDeps, views: Views) {
  return {
    /**
     * The inventory of a ref, streamed as JSON: the files array is written as the walk goes, so a
     * commit of 100 000 files never sits in memory as one document.
     */
    async inventory(req: Request, res: Response) {
      const { ref } = parseInput(InventoryQuery, req.query);
      let first = true;
      const { system, ref: name, inventory } = await read.inventoryOf(deps, principalOf(req), code(req), ref, async (f) => {
        if (first) {
          res.status(200).type('application/json');
          res.write('{"files":[');
        }
        const ok = res.write((first ? '' : ',') + JSON.stringify(f));
        first = false;
        if (!ok) await new Promise((resolve) => res.once('drain', resolve));
      });
      if (first) res.status(200).type('application/json').write('{"files":[');
      const inv = inventory;
      const tail = { system: system.code, ref: name, commit: inv.commit, fileCount: inv.files, bytes: inv.bytes, categories: inv.categories, errorCount: inv.errorCount, warningCount: inv.warningCount, findings: inv.findings.map((f) => findingOut(req.lang, f)), thirdParty: inv.thirdParty };
      // The files array is open: close it and append the rest of the object (its opening brace dropped).
      res.end('],' + JSON.stringify(tail).slice(1));
    },

    async accept(req: Request, res: Response) {
      const accepted = await acceptDeposit(deps, actorOf(req), principalOf(req), code(req), req.body ?? {});
      res.status(201).json(accepted);
    },

    async list(req: Request, res: Response) {
      const { items } = await read.listDeposits(deps, principalOf(req), code(req));
      res.json({ items });
    },

    /** One version; its files in path order, all of them unless `?limit=&offset=` (and `?category=`) ask for a page. */
    async get(req: Request, res: Response) {
      const page = parseInput(FilesQuery, req.query);
      const { deposit } = await read.getDeposit(deps, principalOf(req), code(req), versionOf(req), page);
      const { facts: _facts, ...rest } = deposit;
      res.json({ ...rest, findings: deposit.findings.map((f) => findingOut(req.lang, f)) });
    },

    async diff(req: Request, res: Response) {
      const query = parseInput(DiffQuery, req.query);
      const { system, items } = await read.listDeposits(deps, principalOf(req), code(req));
      const to = query.to ?? items[0]?.version;
      const from = query.from ?? (to ? to - 1 : undefined);
      if (!to || !from) throw new DepositNotFound('deposit_not_found', { version: String(query.from ?? query.to ?? 1) });
      // Only versions the caller may list (a one-version grantee: its own); any other is missing.
      const missing = [from, to].find((v) => !items.some((i) => i.version === v));
      if (missing !== undefined) throw new DepositNotFound('deposit_not_found', { version: missing });
      res.json(await read.diffDeposits(deps, system, from, to));
    },

    act: (req: Request, res: Response) => sendAct(deps, views, req, res, false),
    actPdf: (req: Request, res: Response) => sendAct(deps, views, req, res, true),
  };
}

/** The acceptance act: printable HTML in kk or ru (`?lang=`), or the stored PDF (`?format=pdf`, `.pdf`). */
export async function sendAct(deps: AppDeps, views: Views, req: Request, res: Response, pdf: boolean): Promise<void> {
  const query = parseInput(ActQuery, req.query);
  const version = versionOf(req);
  const system = await read.readableSystem(deps, principalOf(req), code(req), version);
  if (pdf || query.format === 'pdf') {
    const file = await read.actPdf(deps, system, version);
    res.setHeader('Content-Type', 'application/pdf');
    res.setHeader('Content-Disposition', `inline; filename="${system.code}-v${version}-act.pdf"`);
    res.setHeader('ETag', `"${file.sha256}"`);
    res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`);
    res.setHeader('Cache-Control', 'private, no-cache');
    file.open().pipe(res);
    return;
  }
  const { model, row } = await read.actModelOf(deps, system, version);
  const plang = query.lang ?? (req.lang === 'kk' ? 'kk' : 'ru');
  views.render(req, res, 'deposits/act', {
    title: `${system.code} ${model.tag}`, system, model, plang, actSha256: row.act_sha256, maxFiles: ACT_MAX_FILES,
    tl: (lang: Lang, key: string, params?: Record<string, string | number>) => t(lang, key, params), formatSize, formatTime, findingMessage,
  });
}
