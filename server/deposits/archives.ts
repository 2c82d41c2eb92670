import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import type { ArchiveFormat } from './classify.js';

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
    return { format, result: 'corrupt', detail: message(err), entries: null };
  }
}

function streamOf(source: ArchiveSource): Readable {
  if ('stream' in source) return source.stream();
  if ('file' in source) return createReadStream(source.file, { highWaterMark: 1 << 20 });
  return Readable.from([source.buffer]);
}

// ------------------------------------------------------------------ zip

function openZip(source: ArchiveSource): Promise<yauzl.ZipFile> {
  const options = { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, zip?: yauzl.ZipFile) => (err || !zip ? reject(err ?? new Error('cannot open')) : resolve(zip));
    if ('file' in source) yauzl.open(source.file, options, done);
    else if ('buffer' in source) yauzl.fromBuffer(source.buffer, options, done);
    else reject(new Error('zip needs random access: a file or a buffer'));
  });
}

async function checkZip(source: ArchiveSource): Promise<ArchiveVerdict> {
  const zip = await openZip(source);
  let entries = 0;
  let encrypted = 0;
  let unsupported: string | null = null;
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      entries++;
      // General-purpose flag bit 0: the entry is encrypted (traditional PKWARE or AES, APPNOTE 4.4.4).
      if (entry.generalPurposeBitFlag & 1) {
        encrypted++;
        return zip.readEntry();
      }
      if (entry.fileName.endsWith('/')) return zip.readEntry();
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        unsupported ??= `compression method ${entry.compressionMethod}: ${entry.fileName}`;
        return zip.readEntry();
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error('cannot read entry'));
        let crc = 0;
        stream.on('data', (chunk: Buffer) => (crc = crc32(chunk, crc)));
        stream.on('error', (e: Error) => reject(new Error(`${entry.fileName}: ${e.message}`)));
        stream.on('end', () => {
          if (crc >>> 0 !== entry.crc32 >>> 0) return reject(new Error(`${entry.fileName}: CRC-32 mismatch`));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  }).finally(() => zip.close());
  if (encrypted) return { format: 'zip', result: 'encrypted', detail: `${encrypted} of ${entries} entries encrypted`, entries };
  if (unsupported) return { format: 'zip', result: 'unverified', detail: unsupported, entries };
  return { format: 'zip', result: 'ok', detail: null, entries };
}

// ------------------------------------------------------------------ tar, gzip

async function checkTar(source: ArchiveSource, gzipped: boolean): Promise<ArchiveVerdict> {
  const extract = tar.extract();
  let entries = 0;
  extract.on('entry', (_header, stream, next) => {
    entries++;
    stream.on('end', () => next());
    stream.resume();
  });
  const input = streamOf(source);
  if (gzipped) await pipeline(input, createGunzip(), extract);
  else await pipeline(input, extract);
  return { format: gzipped ? 'gzip' : 'tar', result: 'ok', detail: null, entries };
}

async function checkGzip(source: ArchiveSource): Promise<ArchiveVerdict> {
  // zlib checks the trailer's CRC-32 and length; a truncated stream ends with "unexpected end of file".
  await pipeline(streamOf(source), createGunzip(), sink());
  return { format: 'gzip', result: 'ok', detail: null, entries: null };
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
