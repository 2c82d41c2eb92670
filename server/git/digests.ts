/**
 * What the inventory learns from reading a blob once, and a bounded cache of it. A blob's content —
 * and so its digest — is fixed by its git object id, so a cached digest never goes stale.
 */

/** The kind of content by its first bytes (magic numbers), independent of the file name. */
export type Magic =
  | 'empty'
  | 'zip'
  | 'gzip'
  | 'tar'
  | '7z'
  | 'rar'
  | 'bzip2'
  | 'xz'
  | 'cab'
  | 'pdf'
  | 'ole' // Compound File: .msi, .doc, .xls
  | 'sqlite'
  | 'pgdump' // pg_dump custom format
  | 'pe' // Windows executable (.exe, .dll)
  | 'elf'
  | 'ar' // .deb
  | 'rpm'
  | 'text'
  | 'binary';

export interface Digest {
  /** Bytes as stored in git (for an LFS file: the pointer's size). */
  size: number;
  /** SHA-256 of the content as stored in git; null for a submodule or a missing object. */
  sha256: string | null;
  /** A Git LFS pointer: the object it names. */
  lfs: { oid: string; size: number } | null;
  magic: Magic;
}

/** The Git LFS spec caps a pointer file at 1024 bytes. */
export const MAX_POINTER_BYTES = 1024;

/** A Git LFS pointer file (spec v1), or null. */
export function lfsPointerOf(content: Buffer): { oid: string; size: number } | null {
  if (content.length > MAX_POINTER_BYTES || content.toString('latin1', 0, 43) !== 'version https://git-lfs.github.com/spec/v1\n') return null;
  const text = content.toString('utf8');
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return oid && size ? { oid, size: Number(size) } : null;
}

/** Signatures by first byte, built once: sniffing runs for every file of a commit. */
const SIGNATURES: [Magic, Buffer][] = (
  [
    ['zip', 'PK\x03\x04'],
    ['zip', 'PK\x05\x06'],
    ['gzip', '\x1f\x8b'],
    ['7z', '7z\xbc\xaf\x27\x1c'],
    ['rar', 'Rar!\x1a\x07'],
    ['bzip2', 'BZh'],
    ['xz', '\xfd7zXZ\x00'],
    ['cab', 'MSCF'],
    ['pdf', '%PDF-'],
    ['ole', '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'],
    ['sqlite', 'SQLite format 3\x00'],
    ['pgdump', 'PGDMP'],
    ['pe', 'MZ'],
    ['elf', '\x7fELF'],
    ['ar', '!<arch>\n'],
    ['rpm', '\xed\xab\xee\xdb'],
  ] as [Magic, string][]
).map(([magic, sig]) => [magic, Buffer.from(sig, 'latin1')]);
const BY_FIRST_BYTE = new Map<number, [Magic, Buffer][]>();
for (const entry of SIGNATURES) {
  const list = BY_FIRST_BYTE.get(entry[1][0]) ?? [];
  list.push(entry);
  BY_FIRST_BYTE.set(entry[1][0], list);
}
const USTAR = Buffer.from('ustar', 'latin1');

/** The kind of content from its first bytes (at least 263 for tar). */
export function sniff(head: Buffer): Magic {
  if (head.length === 0) return 'empty';
  for (const [magic, sig] of BY_FIRST_BYTE.get(head[0]) ?? []) {
    if (head.length >= sig.length && head.compare(sig, 0, sig.length, 0, sig.length) === 0) return magic;
  }
  if (head.length >= 262 && head.compare(USTAR, 0, 5, 257, 262) === 0) return 'tar';
  const end = Math.min(head.length, 512);
  for (let i = 0; i < end; i++) if (head[i] === 0) return 'binary';
  return 'text';
}

/**
 * Blob digests by git object id, bounded by entries (≈ 250 bytes each); the oldest entry goes first.
 * First-in-first-out rather than least-recently-used: a walk touches every entry once, and FIFO costs
 * no bookkeeping on a hit.
 */
export class DigestCache {
  private readonly map = new Map<string, Digest>();

  constructor(readonly maxEntries = 200_000) {}

  get(oid: string): Digest | undefined {
    return this.map.get(oid);
  }

  set(oid: string, digest: Digest): void {
    if (this.maxEntries <= 0 || this.map.has(oid)) return;
    this.map.set(oid, digest);
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }

  get size(): number {
    return this.map.size;
  }
}
