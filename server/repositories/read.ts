import type { Principal } from '../accounts/service.js';
import { NotFound } from '../errors.js';
import * as browse from '../git/browse.js';
import { DEFAULT_BRANCH } from '../git/form.js';
import { findSystemFor, type SystemRow } from '../systems/queries.js';
import { repoExists, repoPath } from '../../storage/repos.js';
import { hasRepository, type RepoDeps } from './service.js';
import { grantedVersion } from '../access/use.js';

/**
 * What the repository browser and the API read. Every entry point starts with the scoped lookup,
 * so a repository the caller may not read is the same 404 as one that does not exist.
 */
export interface OpenRepository {
  system: SystemRow;
  repo: string;
  /** A grantee limited to one deposit version sees its tag `deposit/vN` and what it reaches, nothing else. */
  onlyVersion: number | null;
}

export async function openRepository(deps: RepoDeps, principal: Principal, code: string): Promise<OpenRepository> {
  const system = await findSystemFor(deps.db, principal, code, 'read');
  if (!system || !hasRepository(system.status) || !repoExists(deps.config.dataDir, system.id)) throw new NotFound();
  return { system, repo: repoPath(deps.config.dataDir, system.id), onlyVersion: await grantedVersion(deps, principal, system.id) };
}

const versionTag = (version: number) => `deposit/v${version}`;

export function cloneUrl(base: string, code: string): string {
  return `${base.replace(/\/+$/, '')}/git/${encodeURIComponent(code)}.git`;
}

/** Branches and tags (newest first) and the default branch; for a one-version grantee, its tag only. */
export async function refsOf(deps: RepoDeps, r: OpenRepository) {
  const refs = await browse.listRefs(deps.config.dataDir, r.repo);
  if (r.onlyVersion === null) return refs;
  const tag = versionTag(r.onlyVersion);
  return { head: null, branches: [], tags: refs.tags.filter((t) => t.name === tag) };
}

/**
 * The commit a page shows: the given ref, else the default branch (for a one-version grantee, its
 * tag). NotFound when it names nothing, or names a commit a one-version grantee may not read: one
 * its tag does not reach — the same set of commits its `git clone` gets.
 */
export async function commitFor(deps: RepoDeps, r: OpenRepository, ref: string | undefined, head: string | null): Promise<{ ref: string; commit: string } | null> {
  const name = ref ?? (r.onlyVersion === null ? (head ?? DEFAULT_BRANCH) : versionTag(r.onlyVersion));
  const commit = await browse.resolveCommit(deps.config.dataDir, r.repo, name);
  if (!commit) {
    if (ref || r.onlyVersion !== null) throw new NotFound();
    return null; // an empty repository has no commit yet
  }
  if (r.onlyVersion !== null) {
    const tip = await browse.resolveCommit(deps.config.dataDir, r.repo, versionTag(r.onlyVersion));
    if (!tip || !(await browse.isReachableFrom(deps.config.dataDir, r.repo, commit, tip))) throw new NotFound();
  }
  return { ref: name, commit };
}

export async function treeOf(deps: RepoDeps, r: OpenRepository, commit: string, path: string) {
  const entries = await browse.readTree(deps.config.dataDir, r.repo, commit, path);
  if (!entries) throw new NotFound();
  return entries;
}

export async function logOf(deps: RepoDeps, r: OpenRepository, commit: string, page: number, perPage = 50) {
  const items = await browse.log(deps.config.dataDir, r.repo, commit, { skip: (page - 1) * perPage, limit: perPage + 1 });
  return { items: items.slice(0, perPage), more: items.length > perPage };
}

export interface FileView {
  path: string;
  size: number;
  oid: string;
  sha256: string | null;
  kind: 'text' | 'binary' | 'lfs';
  text: string | null;
  truncated: boolean;
  lfs: { oid: string; size: number } | null;
}

const SHOW_TEXT_BYTES = 512 * 1024;
/** Above this a blob's sha256 is not computed on page view (the download and the inventory have it). */
const HASH_ON_VIEW_BYTES = 64 * 1024 * 1024;

/** A file: text shown (up to 512 KB), binaries and LFS pointers described with size and sha256. */
export async function fileOf(deps: RepoDeps, r: OpenRepository, commit: string, path: string): Promise<FileView> {
  const entry = await browse.entryAt(deps.config.dataDir, r.repo, commit, path);
  if (!entry || entry.type !== 'blob' || entry.size === null) throw new NotFound();
  const head = await browse.blobHead(deps.config.dataDir, r.repo, entry.oid, SHOW_TEXT_BYTES);
  const lfs = browse.parseLfsPointer(head, entry.size);
  const text = !lfs && browse.looksLikeText(head);
  const sha256 = lfs ? lfs.oid : entry.size <= HASH_ON_VIEW_BYTES ? await browse.blobSha256(deps.config.dataDir, r.repo, entry.oid) : null;
  return {
    path,
    size: entry.size,
    oid: entry.oid,
    sha256,
    kind: lfs ? 'lfs' : text ? 'text' : 'binary',
    text: text ? head.toString('utf8') : null,
    truncated: text && entry.size > head.length,
    lfs,
  };
}

export async function rawEntryOf(deps: RepoDeps, r: OpenRepository, commit: string, path: string) {
  const entry = await browse.entryAt(deps.config.dataDir, r.repo, commit, path);
  if (!entry || entry.type !== 'blob' || entry.size === null) throw new NotFound();
  return { ...entry, size: entry.size };
}

/** The bytes of an entry found by rawEntryOf, streamed from git; `stop` ends git early. */
export function rawStreamOf(deps: RepoDeps, r: OpenRepository, entry: { oid: string }) {
  return browse.blobStream(deps.config.dataDir, r.repo, entry.oid);
}
