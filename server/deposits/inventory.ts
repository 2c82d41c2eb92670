import type { Readable } from 'node:stream';
import type { AppDeps } from '../deps.js';
import { blobHead, blobStream } from '../git/browse.js';
import { DigestCache, walkCommit, type WalkEntry } from '../git/inventory.js';
import { sniff, type Magic } from '../git/digests.js';
import { objectsOfSystem } from '../lfs/queries.js';
import { repoPath } from '../../storage/repos.js';
import { checkArchive, type ArchiveSource, type ArchiveVerdict } from './archives.js';
import { judgeBuildDescription } from './build-md.js';
import { archiveFormatOf, BUILD_FILE, CATEGORY_KEYS, categoryOf, extensionOf, fileTypeOf, SKELETON_README_OIDS, type FileCategory, type FileType } from './classify.js';
import { BUILD_FINDINGS, FindingsCollector, type Finding } from './findings.js';
import { describeManifests, isLockfile, isManifest, vendoredFolderOf, type Manifest } from './manifests.js';
import * as q from './queries.js';

/**
 * The inventory of one commit of a system's repository (issue 6 §1–2): every file with its category,
 * size, SHA-256, type and — for Git LFS files — whether the blob store holds the object for this
 * system with the right size; totals per category; the completeness and integrity findings; the
 * third-party components. Files stream to the caller's `onFile` (bounded memory); the rest is small.
 */
export interface InventoryFile {
  path: string;
  category: FileCategory;
  /** The file's size: for an LFS file, the object's size (the pointer's is in git). */
  size: number;
  /** SHA-256 of the content; for an LFS file, its object id (which is that). */
  sha256: string | null;
  gitOid: string;
  mode: string;
  type: FileType;
  lfs: boolean;
  /** For an LFS file: the store holds the object for this system with the size the pointer gives. */
  lfsPresent: boolean | null;
}

export interface CategoryTotal {
  category: FileCategory;
  files: number;
  bytes: number;
  lfsFiles: number;
}

export interface ThirdParty {
  manifests: Manifest[];
  vendored: { path: string; files: number }[];
}

export interface Inventory {
  commit: string;
  files: number;
  bytes: number;
  categories: CategoryTotal[];
  findings: Finding[];
  errorCount: number;
  warningCount: number;
  thirdParty: ThirdParty;
}

type LfsState = 'present' | 'missing' | 'size_mismatch';

interface ArchiveCandidate {
  path: string;
  sha256: string;
  format: NonNullable<ReturnType<typeof archiveFormatOf>>;
  gzippedTar: boolean;
  size: number;
  lfsOid: string | null;
  gitOid: string;
}

/** Blob digests per running app: the same commit walked twice reads its blobs once. */
const caches = new WeakMap<object, DigestCache>();
const cacheOf = (deps: AppDeps) => {
  let cache = caches.get(deps.config);
  if (!cache) caches.set(deps.config, (cache = new DigestCache()));
  return cache;
};

/** Archives larger than this inside git itself (not LFS) are not read into memory for zip/7z checks. */
const MAX_BUFFERED_ARCHIVE = 256 * 1024 * 1024;
const LFS_BATCH = 500;

export async function buildInventory(deps: AppDeps, systemId: number, commit: string, onFile: (f: InventoryFile) => void | Promise<void> = () => undefined): Promise<Inventory> {
  const repo = repoPath(deps.config.dataDir, systemId);
  const findings = new FindingsCollector();
  const totals = new Map<FileCategory, CategoryTotal>();
  const substantive = new Map<FileCategory, number>();
  const manifests: { path: string; content: Buffer | null }[] = [];
  const lockfiles = new Set<string>();
  const vendored = new Map<string, number>();
  const archives: ArchiveCandidate[] = [];
  let build: Buffer | null | undefined;
  let files = 0;
  let bytes = 0;

  /** `lfs`: for an LFS file, what the store holds, and the object's first bytes' kind when it does. */
  const account = async (e: WalkEntry, lfs: { state: LfsState; magic: Magic } | null) => {
    const category = categoryOf(e.path);
    const size = e.lfs ? e.lfs.size : e.size;
    const magic = lfs ? lfs.magic : e.magic;
    const lfsPresent = lfs ? lfs.state === 'present' : null;
    const type = fileTypeOf(e.path, magic, category, e.mode);
    const file: InventoryFile = { path: e.path, category, size, sha256: e.lfs ? e.lfs.oid : e.sha256, gitOid: e.oid, mode: e.mode, type, lfs: !!e.lfs, lfsPresent };
    files++;
    bytes += size;
    const total = totals.get(category) ?? { category, files: 0, bytes: 0, lfsFiles: 0 };
    total.files++;
    total.bytes += size;
    if (e.lfs) total.lfsFiles++;
    totals.set(category, total);

    const name = e.path.slice(e.path.lastIndexOf('/') + 1);
    const atCategoryRoot = e.path.indexOf('/') === e.path.lastIndexOf('/');
    const filler = (atCategoryRoot && name === 'README.md') || name.startsWith('.git') || SKELETON_README_OIDS.has(e.oid) || e.path === BUILD_FILE;
    if (!filler) substantive.set(category, (substantive.get(category) ?? 0) + 1);

    if (e.type === 'commit') findings.add('submodule', e.path, { commit: e.oid });
    else if (e.missing) findings.add('git_object_missing', e.path);
    if (category === 'other') findings.add('outside_categories', e.path);
    if ((category === 'installers' || category === 'database') && size === 0 && !name.startsWith('.git')) findings.add('empty_file', e.path);
    if (e.lfs && lfs && lfs.state !== 'present') findings.add(lfs.state === 'size_mismatch' ? 'lfs_object_size_mismatch' : 'lfs_object_missing', e.path, { oid: e.lfs.oid, size: e.lfs.size });
    const format = archiveFormatOf(magic);
    if (format && file.sha256 && (!e.lfs || lfsPresent)) {
      const ext = extensionOf(e.path);
      archives.push({ path: e.path, sha256: file.sha256, format, gzippedTar: ext === 'tgz' || ext === 'tar.gz', size, lfsOid: e.lfs?.oid ?? null, gitOid: e.oid });
    }
    await onFile(file);
  };

  let pendingLfs: WalkEntry[] = [];
  const flushLfs = async () => {
    if (!pendingLfs.length) return;
    const batch = pendingLfs;
    pendingLfs = [];
    const held = await objectsOfSystem(deps.db, systemId, [...new Set(batch.map((e) => e.lfs!.oid))]);
    for (const e of batch) {
      const recorded = held.get(e.lfs!.oid);
      const stored = recorded === undefined ? null : await deps.blobs.size(e.lfs!.oid);
      const state: LfsState = recorded === e.lfs!.size && stored === e.lfs!.size ? 'present' : recorded !== undefined && stored !== null ? 'size_mismatch' : 'missing';
      // Without the object, only the name can tell the type.
      await account(e, { state, magic: state === 'present' ? await lfsMagic(deps, e.lfs!.oid, e.lfs!.size) : 'binary' });
    }
  };

  for await (const batch of walkCommit(deps.config.dataDir, repo, commit, { cache: cacheOf(deps), wantContent: (p) => p === BUILD_FILE || isManifest(p) })) {
    for (const e of batch) {
      if (e.path === BUILD_FILE) build = e.content;
      if (isManifest(e.path)) manifests.push({ path: e.path, content: e.content });
      if (isLockfile(e.path)) lockfiles.add(e.path);
      const folder = vendoredFolderOf(e.path);
      if (folder) vendored.set(folder, (vendored.get(folder) ?? 0) + 1);
      if (e.lfs) {
        pendingLfs.push(e);
        if (pendingLfs.length >= LFS_BATCH) await flushLfs();
      } else await account(e, null);
    }
  }
  await flushLfs();

  completeness(findings, substantive, build);
  await integrity(deps, repo, archives, findings);

  const categories = [...CATEGORY_KEYS, 'root' as const, 'other' as const]
    .map((c) => totals.get(c) ?? { category: c, files: 0, bytes: 0, lfsFiles: 0 })
    .filter((c) => c.files > 0 || CATEGORY_KEYS.includes(c.category as (typeof CATEGORY_KEYS)[number]));
  const thirdParty: ThirdParty = {
    manifests: describeManifests(manifests, (p) => lockfiles.has(p)),
    vendored: [...vendored].map(([path, n]) => ({ path, files: n })).sort((a, b) => a.path.localeCompare(b.path)).slice(0, 200),
  };
  return { commit, files, bytes, categories, thirdParty, ...findings.result() };
}

/** Rules p.5: what each category must (error) or should, "when available" (warning), hold. */
function completeness(findings: FindingsCollector, substantive: Map<FileCategory, number>, build: Buffer | null | undefined): void {
  if (!substantive.get('source')) findings.add('source_empty', 'source/');
  if (build === undefined) findings.add('build_missing', BUILD_FILE);
  else {
    const verdict = build === null ? 'no_environment_no_version' : judgeBuildDescription(build.toString('utf8'));
    if (verdict !== 'ok') for (const code of BUILD_FINDINGS[verdict]) findings.add(code, BUILD_FILE);
  }
  if (!substantive.get('installers')) findings.add('installers_empty', 'installers/');
  if (!substantive.get('database')) findings.add('database_empty', 'database/');
  if (!substantive.get('licensed-config')) findings.add('licensed_config_empty', 'licensed-config/');
  if (!substantive.get('docs')) findings.add('docs_empty', 'docs/');
}

/** The first bytes of an LFS object, for its type by magic numbers. */
async function lfsMagic(deps: AppDeps, oid: string, size: number): Promise<Magic> {
  if (size === 0) return 'empty';
  const chunks: Buffer[] = [];
  for await (const c of deps.blobs.read(oid, { start: 0, end: Math.min(size, 1024) - 1 })) chunks.push(c as Buffer);
  return sniff(Buffer.concat(chunks));
}

/** Archives are tested once per content (cached by SHA-256 in `archive_checks`). */
async function integrity(deps: AppDeps, repo: string, archives: ArchiveCandidate[], findings: FindingsCollector): Promise<void> {
  if (!archives.length) return;
  const known = await q.archiveChecks(deps.db, [...new Set(archives.map((a) => a.sha256))]);
  for (const a of archives) {
    let verdict: Pick<ArchiveVerdict, 'format' | 'result' | 'detail' | 'unsafe'> | undefined = known.get(a.sha256) as ArchiveVerdict | undefined;
    if (!verdict) {
      const source = await sourceOf(deps, repo, a);
      const full: ArchiveVerdict = source ? await checkArchive(a.format, source, { gzippedTar: a.gzippedTar }) : { format: a.format, result: 'unverified', detail: 'too large to read into memory', entries: null };
      await q.saveArchiveCheck(deps.db, { sha256: a.sha256, format: full.format, result: full.result, detail: full.detail, entries: full.entries, unsafe: full.unsafe ?? null, checked_at: deps.clock().toISOString() });
      known.set(a.sha256, { sha256: a.sha256, ...full, checked_at: '' });
      verdict = full;
    }
    const params = { format: verdict.format, detail: verdict.detail ?? '' };
    if (verdict.result === 'corrupt') findings.add('archive_corrupt', a.path, params);
    else if (verdict.result === 'encrypted') findings.add('archive_encrypted', a.path, params);
    else if (verdict.result === 'unverified') findings.add('archive_unverified', a.path, params);
    if (verdict.unsafe) findings.add('archive_unsafe_entries', a.path, { format: verdict.format, detail: verdict.unsafe });
  }
}

/** Where to read an archive: the blob store's file (LFS), else git's blob streamed or in memory; null when neither fits. */
async function sourceOf(deps: AppDeps, repo: string, a: ArchiveCandidate): Promise<ArchiveSource | null> {
  if (a.lfsOid) return { file: deps.blobs.pathOf(a.lfsOid) };
  if (a.format === 'tar' || a.format === 'gzip') return { stream: (): Readable => blobStream(deps.config.dataDir, repo, a.gitOid).stream };
  if (a.size > MAX_BUFFERED_ARCHIVE) return null;
  return { buffer: await blobHead(deps.config.dataDir, repo, a.gitOid, a.size + 1) };
}
