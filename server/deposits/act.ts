import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { t } from '../http/i18n.js';
import { formatTime } from '../intake/read.js';
import { createPdf } from '../util/pdf.js';
import type { CategoryTotal } from './inventory.js';
import { findingMessage, type Finding } from './findings.js';

/**
 * The acceptance act (акт приёма-передачи) of a deposit version: one bilingual document — the act in
 * Kazakh, the act in Russian, and the annex listing every file with its SHA-256 — as a PDF made with
 * pdfkit and an embedded DejaVu font (Kazakh letters ә ғ қ ң ө ұ ү һ і; no system fonts). It is made
 * only from what the database stores for the version, with the acceptance time as its date, so the
 * same version always gives the same bytes: its SHA-256 is stored, and a lost file can be remade.
 */
export type ActLang = 'kk' | 'ru';
export const ACT_LANGS: ActLang[] = ['kk', 'ru'];

/** What the act prints about the parties, frozen at acceptance (names change; the act does not). */
export interface ActFacts {
  system: { code: string; nameKk: string; nameRu: string };
  owner: { bin: string; nameKk: string; nameRu: string };
  developer: { bin: string | null; name: string | null };
  application: { number: string | null; registerNo: number | null; registerYear: number | null } | null;
  operator: { fullName: string; login: string; orgNameKk: string; orgNameRu: string };
}

export interface ActFile {
  path: string;
  size: number;
  sha256: string | null;
  lfs: boolean;
}

export interface ActModel {
  facts: ActFacts;
  version: number;
  tag: string;
  commit: string;
  acceptedAt: string;
  overrideReason: string | null;
  categories: CategoryTotal[];
  findings: Finding[];
  errorCount: number;
  warningCount: number;
  manifestSha256: string;
  /** Every file, in canonical (path) order. */
  files: ActFile[];
}

/**
 * The annex prints at most this many files (the PDF's embedded font costs fontkit's shaping per line:
 * ≈ 0.3–0.7 ms a file); the manifest SHA-256 in the act binds them all, and the complete list with
 * hashes is the version's record (API, deposit page).
 */
export const ACT_MAX_FILES = 10_000;

/** Bytes as the act prints them: grouped digits, and MB above a megabyte. */
export function formatSize(bytes: number): string {
  const grouped = String(bytes).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  return bytes >= 1048576 ? `${grouped} (${(bytes / 1048576).toFixed(1)} MB)` : grouped;
}

/** The canonical file list, `sha256  size  path` per line (as `sha256sum` reads it, plus the size). */
export function manifestSha256(files: ActFile[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.sha256 ?? '-'}  ${f.size}  ${f.path}\n`);
  return hash.digest('hex');
}

export const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The act as a PDF stream (deterministic for a given model). */
export function renderActPdf(m: ActModel): PDFKit.PDFDocument {
  const doc = createPdf({ title: `${m.facts.system.code} ${m.tag}`, subject: t('ru', 'deposits.act.title'), date: new Date(m.acceptedAt) });
  ACT_LANGS.forEach((lang, i) => {
    if (i > 0) doc.addPage();
    actPart(doc, m, lang);
  });
  annex(doc, m);
  doc.end();
  return doc;
}

function actPart(doc: PDFKit.PDFDocument, m: ActModel, lang: ActLang): void {
  const tt = (key: string, params?: Record<string, string | number>) => t(lang, `deposits.act.${key}`, params);
  const f = m.facts;
  doc.font('bold').fontSize(13).text(tt('title'), { align: 'center' });
  doc.font('body').fontSize(10).text(tt('subtitle', { version: m.version }), { align: 'center' }).moveDown(1);
  const line = (label: string, value: string) => {
    doc.font('bold').text(`${label}: `, { continued: true }).font('body').text(value || '—');
  };
  line(tt('date'), formatTime(m.acceptedAt));
  line(tt('system'), `${lang === 'kk' ? f.system.nameKk : f.system.nameRu} (${f.system.code})`);
  line(tt('owner'), `${lang === 'kk' ? f.owner.nameKk : f.owner.nameRu}, ${tt('bin')} ${f.owner.bin}`);
  line(tt('developer'), [f.developer.name, f.developer.bin ? `${tt('bin')} ${f.developer.bin}` : null].filter(Boolean).join(', '));
  line(tt('application'), f.application?.number ?? '');
  line(tt('register'), f.application?.registerNo ? `№ ${f.application.registerNo}/${f.application.registerYear}` : '');
  line(tt('version'), `v${m.version}`);
  line(tt('tag'), m.tag);
  doc.font('bold').text(`${tt('commit')}: `, { continued: true }).font('mono').text(m.commit);
  line(tt('operator'), `${f.operator.fullName} (${f.operator.login}), ${lang === 'kk' ? f.operator.orgNameKk : f.operator.orgNameRu}`);
  doc.moveDown(0.8).font('body').text(tt('statement', { rules: tt('rules') }));
  doc.moveDown(0.6).font('bold').text(tt('categories_title'));
  doc.font('body');
  for (const c of m.categories) doc.text(`${t(lang, `deposits.categories.${c.category}`)} — ${tt('files_count', { n: c.files })}, ${formatSize(c.bytes)} ${tt('bytes')}`, { indent: 12 });
  doc.moveDown(0.6).font('bold').text(tt('findings_title', { errors: m.errorCount, warnings: m.warningCount }));
  doc.font('body');
  if (!m.findings.length) doc.text(tt('no_findings'), { indent: 12 });
  for (const fd of m.findings) doc.text(`[${t(lang, `deposits.severity.${fd.severity}`)}] ${findingMessage(lang, fd)}`, { indent: 12 });
  if (m.overrideReason) {
    doc.moveDown(0.6).font('bold').text(`${tt('override')}: `, { continued: true }).font('body').text(m.overrideReason);
  }
  doc.moveDown(0.6).text(tt('annex_ref', { n: m.files.length }));
  doc.font('bold').text(`${tt('manifest')}: `, { continued: true }).font('mono').fontSize(9).text(m.manifestSha256).fontSize(10);
  doc.moveDown(2).font('body');
  doc.text(`${tt('handed')}: ____________________  ${lang === 'kk' ? f.owner.nameKk : f.owner.nameRu}`);
  doc.moveDown(1).text(`${tt('accepted')}: ____________________  ${f.operator.fullName}`);
}

function annex(doc: PDFKit.PDFDocument, m: ActModel): void {
  doc.addPage();
  doc.font('bold').fontSize(12).text(`${t('kk', 'deposits.act.annex_title')} / ${t('ru', 'deposits.act.annex_title')}`, { align: 'center' });
  doc.font('body').fontSize(9).text(`${m.facts.system.code} · ${m.tag} · ${m.commit}`, { align: 'center' }).moveDown(0.8);
  const shown = m.files.slice(0, ACT_MAX_FILES);
  // Blocks of files per text() call: pdfkit's cost is per call, and a font switch per line would
  // make a 20 000-file annex take minutes. Each file: its number, path and size, then its SHA-256.
  shown.forEach((file, i) => {
    doc.font('body').fontSize(8).text(`${i + 1}. ${file.path}${file.lfs ? ' [LFS]' : ''} — ${formatSize(file.size)}`);
    doc.font('mono').fontSize(7).text(file.sha256 ?? '—', { indent: 14 });
  });
  if (m.files.length > shown.length) {
    doc.moveDown(0.5).font('body').fontSize(8).text(`${t('kk', 'deposits.act.annex_more', { n: m.files.length - shown.length })} / ${t('ru', 'deposits.act.annex_more', { n: m.files.length - shown.length })}`);
  }
}

// ------------------------------------------------------------------ the stored file

export function actPath(dataDir: string, systemId: number, version: number): string {
  return join(dataDir, 'acts', String(systemId), `v${version}.pdf`);
}

/** Acts of this version staged but neither published nor discarded (a crash in between): their temp files. */
export async function stagedActs(dataDir: string, systemId: number, version: number): Promise<string[]> {
  const dir = dirname(actPath(dataDir, systemId, version));
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`.v${version}.`) && n.endsWith('.tmp')).map((n) => join(dir, n));
}

/** Renames a staged act into its place and makes the rename durable. */
export async function publishStagedAct(tmp: string, target: string): Promise<void> {
  await rename(tmp, target);
  const dir = await open(dirname(target), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Writes the act into a temp file beside its place while hashing it, and fsyncs it. `publish`
 * renames it into place (after the transaction commits); `discard` removes it.
 */
export async function stageAct(dataDir: string, systemId: number, model: ActModel): Promise<{ sha256: string; publish(): Promise<void>; discard(): Promise<void> }> {
  const target = actPath(dataDir, systemId, model.version);
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.v${model.version}.${randomBytes(6).toString('hex')}.tmp`);
  const hash = createHash('sha256');
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await pipeline(
      renderActPdf(model),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          fh.write(chunk).then(() => cb(), cb);
        },
      }),
    );
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return {
    sha256: hash.digest('hex'),
    publish: () => publishStagedAct(tmp, target),
    discard: () => unlink(tmp).catch(() => undefined),
  };
}

/** The stored act, if its file is there. */
export function storedAct(dataDir: string, systemId: number, version: number) {
  const path = actPath(dataDir, systemId, version);
  return existsSync(path) ? { path, open: () => createReadStream(path) } : null;
}
