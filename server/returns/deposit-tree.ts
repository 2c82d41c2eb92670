import type { AppDeps } from '../deps.js';
import { parsePointer } from '../git/lfs-pointers.js';
import { walkTree, type BlobStreams } from '../git/tree-export.js';
import { isPortablePath } from './bagit.js';
import type { BagWriter } from './bag-writer.js';

/**
 * An accepted version's tree written into the bag as real files (issue 8 §2): git blobs as they are,
 * and every Git LFS pointer replaced by its object from the blob store, streamed and checked against
 * its oid — the archive receives installers and dumps, not pointers to a server it will not have.
 *
 * What a plain folder cannot hold is kept and said so in `records/deposit-notes.json`:
 * - a submodule (a commit id, no content): listed;
 * - a symbolic link: written as a small file holding the link's target (as git does without symlinks);
 * - a path that is not portable (see `isPortablePath`): its content under `data/unportable/`, its real
 *   path (and its bytes in hex) in the notes;
 * - an LFS object the operator never received: the pointer file itself, listed.
 * The repository bundle holds every one of them exactly.
 */
export interface DepositNote {
  version: number;
  /** The path as text (`\uFFFD` for undecodable bytes), and its raw bytes when those are not UTF-8. */
  path: string;
  pathHex?: string;
  kind: 'submodule' | 'symlink' | 'unportable' | 'lfs_missing';
  storedAs?: string;
  oid?: string;
}

/** The Git LFS spec caps a pointer file at 1024 bytes: only blobs this small are read whole. */
const POINTER_MAX = 1024;

export async function addDepositTree(
  deps: AppDeps,
  ctx: { writer: BagWriter; blobs: BlobStreams; repo: string; commit: string; version: number; folder: string; notes: DepositNote[]; onFile: () => void },
): Promise<void> {
  const { writer, blobs, notes, version } = ctx;
  let unportable = 0;
  for await (const f of walkTree(deps.config.dataDir, ctx.repo, ctx.commit)) {
    ctx.onFile();
    const shown = f.path ?? f.rawPath.toString('utf8');
    const note = (kind: DepositNote['kind'], extra: Partial<DepositNote> = {}) =>
      notes.push({ version, path: shown, ...(f.path === null ? { pathHex: f.rawPath.toString('hex') } : {}), kind, ...extra });
    if (f.type === 'commit') {
      note('submodule', { oid: f.oid });
      continue;
    }
    let target = `${ctx.folder}/${f.path}`;
    if (!isPortablePath(f.path)) {
      target = `unportable/v${version}-${++unportable}`;
      note('unportable', { storedAs: `data/${target}` });
    }
    const mode = f.mode === '100755' ? 0o755 : 0o644;
    if (f.mode === '120000') {
      note('symlink', { storedAs: `data/${target}` });
      await writer.addPayload({ path: target, size: f.size, open: async () => (await blobs.open(f.oid)).stream });
      continue;
    }
    if (f.size <= POINTER_MAX) {
      const content = await blobs.readAll(f.oid, POINTER_MAX);
      const pointer = parsePointer(content);
      if (pointer && (await deps.blobs.size(pointer.oid)) === pointer.size) {
        await writer.addPayload({ path: target, size: pointer.size, mode, open: () => deps.blobs.read(pointer.oid), file: deps.blobs.pathOf(pointer.oid), expectSha256: pointer.oid });
        continue;
      }
      if (pointer) note('lfs_missing', { oid: pointer.oid, storedAs: `data/${target}` });
      await writer.addPayloadBuffer(target, content, mode);
      continue;
    }
    await writer.addPayload({ path: target, size: f.size, mode, open: async () => (await blobs.open(f.oid)).stream });
  }
}
