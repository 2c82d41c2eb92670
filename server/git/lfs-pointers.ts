/** A Git LFS pointer file is small text (spec v1: well under 1024 bytes). */
export const POINTER_MAX = 1024;
const POINTER = /^version https:\/\/git-lfs\.github\.com\/spec\/v1\n(?:[a-z0-9.-]+ [^\n]*\n)*?oid sha256:([0-9a-f]{64})\n(?:[a-z0-9.-]+ [^\n]*\n)*?size (\d+)\n/;

export interface LfsPointer {
  blob: string;
  oid: string;
  size: number;
}

/** A blob that may be a pointer: no larger than POINTER_MAX, larger than the shortest possible pointer. */
export const maybePointer = (size: number) => size <= POINTER_MAX && size > 40;

/** The LFS object a blob's content points to, or null when it is not a pointer. */
export function parsePointer(content: Buffer): { oid: string; size: number } | null {
  if (content.length > POINTER_MAX) return null;
  const m = POINTER.exec(content.toString('utf8'));
  return m ? { oid: m[1], size: Number(m[2]) } : null;
}
