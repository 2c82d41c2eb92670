import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createGunzip } from 'node:zlib';
import type tarStream from 'tar-stream';
import type yauzlType from 'yauzl';
import { lazyRequire } from '../util/lazy.js';
import type { ArchiveFormat } from './classify.js';

const tar = lazyRequire<typeof tarStream>('tar-stream');
const yauzl = lazyRequire<typeof yauzlType>('yauzl');

/**
 * An archive's own integrity test, by reading it through a streaming library — never extracting to
 * disk: every zip entry is inflated and its CRC-32 compared, a tar is read header by header to the
 * end, a gzip stream to its trailer (CRC and length), a 7z's start and end headers against their
 * CRCs. Encrypted (password-protected) archives cannot be verified and are reported as such.
 */
export type ArchiveResult = 'ok' | 'corrupt' | 'encrypted' | 'unverified';

export interface ArchiveVerdict {
  format: ArchiveFormat;
  result: ArchiveResult;
  detail: string | null;
  entries: number | null;
  /** Entries that would land outside the folder or be links when extracted (`../x`, `/etc/x`, symlinks); null when none. */
  unsafe?: string | null;
}

/**
 * Bombs (issue 13): the check inflates at most this much per archive — FLOOR, or RATIO times the
 * archive's own size when that is more. A zip whose entries declare more (one entry at deflate's
 * ~1000:1, or overlapping entries that all point at the same data) is not inflated at all; a gzip
 * stream is stopped there. Either is reported as unverified, never read without end.
 */
export const INFLATE_LIMIT = { floorBytes: 64 * 1024 * 1024, ratio: 100 };
const budgetFor = (archiveBytes: number) => Math.max(INFLATE_LIMIT.floorBytes, INFLATE_LIMIT.ratio * archiveBytes);

class OverBudget extends Error {
  constructor(readonly budget: number) {
    super(`expands past ${Math.round(budget / 1048576)} MB (${INFLATE_LIMIT.ratio}× its size or more): not inflated further, possibly an archive bomb`);
  }
}

/** Why an entry name is unsafe to extract (ZipSlip), or null: absolute, a drive, or a `..` segment. */
export function unsafeName(name: string): string | null {
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return 'absolute path';
  if (n.split('/').includes('..')) return 'escapes the folder';
  if (n.includes('\0')) return 'NUL in the name';
  return null;
}

/** Collects the first few unsafe entries for the finding's detail. */
class UnsafeEntries {
  private readonly seen: string[] = [];
  private count = 0;
  add(name: string, why: string): void {
    this.count++;
    if (this.seen.length < 5) this.seen.push(`${JSON.stringify(name.slice(0, 120))} (${why})`);
  }
  get text(): string | null {
    return this.count ? `${this.count}: ${this.seen.join(', ')}${this.count > this.seen.length ? ', …' : ''}` : null;
  }
}

/** Where the bytes are: a file (the blob store), a buffer (a git blob), or a stream to open. */
export type ArchiveSource = { file: string } | { buffer: Buffer } | { stream: () => Readable };

const sink = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

export async function checkArchive(format: ArchiveFormat, source: ArchiveSource, opts: { gzippedTar?: boolean } = {}): Promise<ArchiveVerdict> {
  try {
    switch (format) {
      case 'zip':
        return await checkZip(source);
      case 'tar':
        return await checkTar(source, false);
      case 'gzip':
        return opts.gzippedTar ? await checkTar(source, true) : await checkGzip(source);
      case '7z':
        return await check7z(source);
    }
  } catch (err) {
    if (err instanceof OverBudget) return { format, result: 'unverified', detail: err.message, entries: null };
    return { format, result: 'corrupt', detail: message(err), entries: null };
  }
}

async function sizeOf(source: ArchiveSource): Promise<number | null> {
  if ('buffer' in source) return source.buffer.length;
  if ('file' in source) return (await stat(source.file)).size;
  return null;
}

/** Counts bytes (compressed in, or inflated out); past `limit` the stream fails with OverBudget. */
function counter(onBytes: (n: number) => void, limit = Infinity): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      onBytes(chunk.length);
      if (seen > limit) cb(new OverBudget(limit));
      else cb(null, chunk);
    },
  });
}

function streamOf(source: ArchiveSource): Readable {
  if ('stream' in source) return source.stream();
  if ('file' in source) return createReadStream(source.file, { highWaterMark: 1 << 20 });
  return Readable.from([source.buffer]);
}

// ------------------------------------------------------------------ zip

function openZip(source: ArchiveSource): Promise<yauzlType.ZipFile> {
  // decodeStrings off: yauzl would refuse the whole archive at a `../` name; we name such entries instead.
  const options = { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: false };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zip?: yauzlType.ZipFile) => (err || !zip ? reject(err ?? new Error('cannot open')) : resolve(zip));
    if ('file' in source) yauzl().open(source.file, options, done);
    else if ('buffer' in source) yauzl().fromBuffer(source.buffer, options, done);
    else reject(new Error('zip needs random access: a file or a buffer'));
  });
}

/** An entry's name: UTF-8 when flagged (APPNOTE bit 11), else read as Latin-1 (close enough to CP437 for checks). */
const nameOf = (entry: yauzlType.Entry): string => {
  const raw = entry.fileName as unknown as Buffer | string;
  return typeof raw === 'string' ? raw : raw.toString(entry.generalPurposeBitFlag & 0x800 ? 'utf8' : 'latin1');
};
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

async function checkZip(source: ArchiveSource): Promise<ArchiveVerdict> {
  const zip = await openZip(source);
  const budget = budgetFor(zip.fileSize);
  const unsafe = new UnsafeEntries();
  let declared = 0;
  let entries = 0;
  let encrypted = 0;
  let unsupported: string | null = null;
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzlType.Entry) => {
      entries++;
      const name = nameOf(entry);
      const why = unsafeName(name) ?? (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK ? 'symbolic link' : null);
      if (why) unsafe.add(name, why);
      // What the entries declare bounds what inflating costs (validateEntrySizes holds them to it).
      declared += entry.uncompressedSize;
      if (declared > budget) return reject(new OverBudget(budget));
      // General-purpose flag bit 0: the entry is encrypted (traditional PKWARE or AES, APPNOTE 4.4.4).
      if (entry.generalPurposeBitFlag & 1) {
        encrypted++;
        return zip.readEntry();
      }
      if (name.endsWith('/')) return zip.readEntry();
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        unsupported ??= `compression method ${entry.compressionMethod}: ${name}`;
        return zip.readEntry();
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error('cannot read entry'));
        let crc = 0;
        stream.on('data', (chunk: Buffer) => (crc = crc32(chunk, crc)));
        stream.on('error', (e: Error) => reject(new Error(`${name}: ${e.message}`)));
        stream.on('end', () => {
          if (crc >>> 0 !== entry.crc32 >>> 0) return reject(new Error(`${name}: CRC-32 mismatch`));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  }).finally(() => zip.close());
  if (encrypted) return { format: 'zip', result: 'encrypted', detail: `${encrypted} of ${entries} entries encrypted`, entries, unsafe: unsafe.text };
  if (unsupported) return { format: 'zip', result: 'unverified', detail: unsupported, entries, unsafe: unsafe.text };
  return { format: 'zip', result: 'ok', detail: null, entries, unsafe: unsafe.text };
}

// ------------------------------------------------------------------ tar, gzip

async function checkTar(source: ArchiveSource, gzipped: boolean): Promise<ArchiveVerdict> {
  const extract = tar().extract();
  const unsafe = new UnsafeEntries();
  let entries = 0;
  extract.on('entry', (header, stream, next) => {
    entries++;
    // Headers only: links are named, never followed; data is skipped, never written anywhere.
    const why = unsafeName(header.name) ?? (header.type === 'symlink' ? `symbolic link to ${JSON.stringify((header.linkname ?? '').slice(0, 120))}` : header.type === 'link' ? 'hard link' : null);
    if (why) unsafe.add(header.name, why);
    stream.on('end', () => next());
    stream.resume();
  });
  if (gzipped) await inflate(source, extract);
  else await pipeline(streamOf(source), extract);
  return { format: gzipped ? 'gzip' : 'tar', result: 'ok', detail: null, entries, unsafe: unsafe.text };
}

async function checkGzip(source: ArchiveSource): Promise<ArchiveVerdict> {
  // zlib checks the trailer's CRC-32 and length; a truncated stream ends with "unexpected end of file".
  await inflate(source, sink());
  return { format: 'gzip', result: 'ok', detail: null, entries: null };
}

/** Gunzips into `into`, stopping past the inflate budget of the compressed size (read so far when streamed). */
async function inflate(source: ArchiveSource, into: NodeJS.WritableStream): Promise<void> {
  const known = await sizeOf(source);
  let compressed = 0;
  const limit = known === null ? undefined : budgetFor(known);
  let inflated = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      inflated += chunk.length;
      const budget = limit ?? budgetFor(compressed);
      if (inflated > budget) cb(new OverBudget(budget));
      else cb(null, chunk);
    },
  });
  await pipeline(streamOf(source), counter((n) => (compressed += n)), createGunzip(), meter, into);
}

// ------------------------------------------------------------------ 7z

/** AES-256 + SHA-256 coder id of 7-Zip: a header that names it is encrypted. */
const AES_CODER = Buffer.from([0x06, 0xf1, 0x07, 0x01]);
const SIGNATURE_7Z = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]);

async function readAt(source: ArchiveSource, position: number, length: number): Promise<Buffer> {
  if ('buffer' in source) return source.buffer.subarray(position, position + length);
  if (!('file' in source)) throw new Error('7z needs random access: a file or a buffer');
  const fh = await open(source.file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * 7z (7zFormat.txt): a 32-byte signature header whose StartHeaderCRC covers the next 20 bytes, which
 * locate the end header (offset, size) and give its CRC. Both CRCs must hold. The content streams
 * need LZMA, which no maintained streaming reader offers, so they are not inflated.
 */
async function check7z(source: ArchiveSource): Promise<ArchiveVerdict> {
  const start = await readAt(source, 0, 32);
  if (start.length < 32 || !start.subarray(0, 6).equals(SIGNATURE_7Z)) throw new Error('truncated signature header');
  if ((crc32(start.subarray(12, 32)) >>> 0) !== start.readUInt32LE(8)) throw new Error('start header CRC mismatch');
  const offset = Number(start.readBigUInt64LE(12));
  const size = Number(start.readBigUInt64LE(20));
  if (size === 0) return { format: '7z', result: 'ok', detail: 'empty archive', entries: 0 };
  if (size > 64 * 1024 * 1024) throw new Error('end header too large');
  const header = await readAt(source, 32 + offset, size);
  if (header.length !== size) throw new Error('truncated: end header beyond the end of the file');
  if ((crc32(header) >>> 0) !== start.readUInt32LE(28)) throw new Error('end header CRC mismatch');
  if (header.includes(AES_CODER)) return { format: '7z', result: 'encrypted', detail: 'AES-256 coder', entries: null };
  return { format: '7z', result: 'ok', detail: header[0] === 0x17 ? 'headers compressed: content streams not inflated' : null, entries: null };
}
