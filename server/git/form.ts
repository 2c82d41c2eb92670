import * as fs from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { templatesDir } from '../paths.js';
import { gitEnv } from './env.js';
import { runGit } from './run.js';

export const DEFAULT_BRANCH = 'main';
const SKELETON_DIR = join(templatesDir, 'repository');

export interface Skeleton {
  /** Values for `{{name}}` placeholders in the skeleton's text files. */
  values: Record<string, string>;
  message: string;
  author: { name: string; email: string };
  when: Date;
}

interface FileNode {
  kind: 'file';
  content: Buffer;
}
interface DirNode {
  kind: 'dir';
  entries: Map<string, FileNode | DirNode>;
}

/** The skeleton of templates/repository/ as a tree in memory (a few small files). */
async function readSkeleton(dir: string, values: Record<string, string>): Promise<DirNode> {
  const node: DirNode = { kind: 'dir', entries: new Map() };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) node.entries.set(entry.name, await readSkeleton(p, values));
    else if (entry.isFile()) {
      const text = await readFile(p, 'utf8');
      const filled = text.replace(/\{\{(\w+)\}\}/g, (m, key: string) => values[key] ?? m);
      node.entries.set(entry.name, { kind: 'file', content: Buffer.from(filled, 'utf8') });
    }
  }
  return node;
}

/**
 * isomorphic-git is loaded on first use: it is needed only when a repository is formed, and loading it
 * up front costs every server process ~18 MB of resident memory (docs/benchmarks.md).
 */
type IsoGit = typeof import('isomorphic-git').default;
let isoGit: Promise<IsoGit> | null = null;
const loadGit = () => (isoGit ??= import('isomorphic-git').then((m) => m.default));

async function writeNode(git: IsoGit, gitdir: string, node: DirNode): Promise<string> {
  const tree = [];
  for (const [path, child] of node.entries) {
    if (child.kind === 'file') tree.push({ mode: '100644', path, type: 'blob' as const, oid: await git.writeBlob({ fs, gitdir, blob: child.content }) });
    else tree.push({ mode: '040000', path, type: 'tree' as const, oid: await writeNode(git, gitdir, child) });
  }
  return git.writeTree({ fs, gitdir, tree });
}

/**
 * Initialises a bare repository in `gitdir` (an empty staging folder) and commits the skeleton
 * on `main` with isomorphic-git: no work tree, no index. Returns the commit id.
 * `git init` itself is git's (it lays out a repository exactly as every git expects it).
 */
export async function initWithSkeleton(dataDir: string, gitdir: string, skeleton: Skeleton): Promise<string> {
  await runGit(['init', '--bare', '--quiet', `--initial-branch=${DEFAULT_BRANCH}`, '--', gitdir], { env: gitEnv(dataDir) });
  const git = await loadGit();
  const root = await readSkeleton(SKELETON_DIR, skeleton.values);
  const tree = await writeNode(git, gitdir, root);
  const seconds = Math.floor(skeleton.when.getTime() / 1000);
  const person = { ...skeleton.author, timestamp: seconds, timezoneOffset: 0 };
  const commit = await git.writeCommit({
    fs,
    gitdir,
    commit: { message: skeleton.message, tree, parent: [], author: person, committer: { name: 'Qoima', email: 'qoima@localhost', timestamp: seconds, timezoneOffset: 0 } },
  });
  await git.writeRef({ fs, gitdir, ref: `refs/heads/${DEFAULT_BRANCH}`, value: commit, force: true });
  return commit;
}
