import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** One satisfiable byte range of a `Range: bytes=…` header, 'unsatisfiable', or null for the whole body. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // several ranges or a foreign unit: send it all
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Streams a stored file with `Content-Length`, `ETag`, `Accept-Ranges` and single-range support
 * (206, or 416 past the end), in constant memory. `open` is called with the range to read.
 */
export async function sendStream(
  req: Request,
  res: Response,
  opts: { size: number; etag: string; type: string; filename?: string; open: (range?: { start: number; end: number }) => Readable },
): Promise<void> {
  const etag = `"${opts.etag}"`;
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  res.setHeader('Content-Type', opts.type);
  if (opts.filename) res.attachment(opts.filename);
  if (req.headers['if-none-match'] === etag) {
    res.status(304).end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? null : parseRange(req.headers.range, opts.size);
  if (range === 'unsatisfiable') {
    res.status(416).setHeader('Content-Range', `bytes */${opts.size}`).end();
    return;
  }
  if (range) {
    res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${opts.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200).setHeader('Content-Length', String(opts.size));
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(opts.open(range ?? undefined), res).catch((err: NodeJS.ErrnoException) => {
    // A client that goes away mid-download is not an error of ours.
    if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  });
}
