import { gitEnv } from './env.js';
import { spawnGit } from './run.js';

/** A Git LFS pointer file is small text (spec v1: well under 1024 bytes). */
const POINTER_MAX = 1024;
const POINTER = /^version https:\/\/git-lfs\.github\.com\/spec\/v1\n(?:[a-z0-9.-]+ [^\n]*\n)*?oid sha256:([0-9a-f]{64})\n(?:[a-z0-9.-]+ [^\n]*\n)*?size (\d+)\n/;

export interface LfsPointer {
  blob: string;
  oid: string;
  size: number;
}

/** The LFS object a blob's content points to, or null when it is not a pointer. */
export function parsePointer(content: Buffer): { oid: string; size: number } | null {
  if (content.length > POINTER_MAX) return null;
  const m = POINTER.exec(content.toString('utf8'));
  return m ? { oid: m[1], size: Number(m[2]) } : null;
}

/**
 * The LFS pointers among the objects of a push still in quarantine (only the pushed objects: no
 * alternates, so history is not walked): `cat-file --batch-all-objects` over the quarantine with the
 * small blobs' contents, parsed as they stream.
 */
export function pushedLfsPointers(dataDir: string, repo: string, quarantine: string): Promise<LfsPointer[]> {
  const env = gitEnv(dataDir, { GIT_DIR: repo, GIT_OBJECT_DIRECTORY: quarantine });
  return new Promise((resolve, reject) => {
    // Pass 1 lists small blobs; pass 2 reads them. Both stream; pointers are tiny.
    const list = spawnGit(['cat-file', '--batch-all-objects', '--unordered', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], env);
    const candidates: string[] = [];
    let rest = '';
    list.stdout.setEncoding('latin1').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const [oid, type, size] = line.split(' ');
        if (type === 'blob' && Number(size) <= POINTER_MAX && Number(size) > 40) candidates.push(oid);
      }
    });
    list.stderr.resume();
    list.stdin.end();
    list.on('error', reject);
    list.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file --batch-all-objects exited ${code}`));
      if (candidates.length === 0) return resolve([]);
      readBlobs(env, candidates).then((blobs) => {
        const pointers: LfsPointer[] = [];
        for (const [blob, content] of blobs) {
          const p = parsePointer(content);
          if (p) pointers.push({ blob, ...p });
        }
        resolve(pointers);
      }, reject);
    });
  });
}

function readBlobs(env: NodeJS.ProcessEnv, oids: string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(['cat-file', '--batch'], env);
    const out = new Map<string, Buffer>();
    let buffer: Buffer = Buffer.alloc(0);
    let current: { oid: string; size: number } | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        if (!current) {
          const nl = buffer.indexOf(10);
          if (nl < 0) return;
          const [oid, type, size] = buffer.subarray(0, nl).toString('latin1').split(' ');
          buffer = buffer.subarray(nl + 1);
          if (type === 'missing' || size === undefined) continue;
          current = { oid, size: Number(size) };
        }
        if (buffer.length < current.size + 1) return;
        out.set(current.oid, Buffer.from(buffer.subarray(0, current.size)));
        buffer = buffer.subarray(current.size + 1);
        current = null;
      }
    });
    child.stderr.resume();
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git cat-file --batch exited ${code}`))));
    child.stdin.end(oids.join('\n') + '\n');
  });
}
