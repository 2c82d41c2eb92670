import type { FileHandle } from 'node:fs/promises';

/**
 * One positioned write of `data` (a buffer, or several in one `writev`) at `position`, continued after
 * a short write, so that positioned writes may overlap. A write that makes no progress is an EIO.
 * Used by every writer of large files: the blob store (page cache and direct) and the return
 * package's tar and zip.
 */
export async function writeAt(file: FileHandle, data: Buffer | Buffer[], position: number): Promise<void> {
  let buffers = Array.isArray(data) ? data : [data];
  let left = buffers.reduce((n, b) => n + b.length, 0);
  let at = position;
  while (left > 0) {
    const { bytesWritten } = await file.writev(buffers, at);
    if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    left -= bytesWritten;
    at += bytesWritten;
    if (left === 0) return;
    // Drop what went down and go on from the first byte that did not.
    let skip = bytesWritten;
    buffers = [...buffers];
    while (skip >= buffers[0].length) skip -= buffers.shift()!.length;
    if (skip > 0) buffers[0] = buffers[0].subarray(skip);
  }
}
