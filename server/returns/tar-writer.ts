import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { FlushBehind } from '../../storage/flush-behind.js';
import type { HashWorker } from '../../storage/hash-worker.js';
import { writeAt } from '../../storage/write-at.js';

/**
 * The bag's tar serialization (POSIX pax, readable by GNU tar, bsdtar, Python's tarfile and any BagIt
 * tool), written by hand rather than through archiver: the format is 512-byte headers, the bytes,
 * zero padding, so the writer can write what it is given as it is given — no re-chunking, no copies —
 * with positional writes of up to 1 MiB kept in flight while the next chunk is read and hashed,
 * flush-behind (an `fdatasync` in the background every 64 MiB) and the fsync at the end. It also knows where each entry's bytes lie, which `readTarEntries` uses to
 * make the zip from the finished tar.
 *
 * Everything written is hashed as it goes (SHA-256 of the whole package: its checksum exists when the
 * file does) — on a `HashWorker` when one is given (the bag's writer gives one: on two cores the tar's
 * SHA-256 then runs beside the payload's), else on this thread.
 * Names come only from `entryName` (checked parts); a name longer than the ustar field or not ASCII,
 * and a size past the ustar limit (8 GiB), go in a pax extended header as well.
 */
const BLOCK = 512;
const USTAR_MAX_SIZE = 0o77777777777;
/** Writes smaller than this are gathered into one buffer (headers, padding, small files). */
const GATHER = 1 << 20;
/** At most this many writes in flight (each ≤ ~1 MiB): memory stays bounded. */
const IN_FLIGHT = 4;

export interface TarEntry {
  name: string;
  mode: number;
  size: number;
  /** Where the entry's bytes start in the tar. */
  offset: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number, mtime: number, type: '0' | 'x'): Buffer {
  const h = Buffer.alloc(BLOCK);
  // The ustar name field: the name itself when it fits (ASCII, ≤ 100 bytes), else an ASCII stand-in
  // (the pax `path` record, written just before, is what readers use).
  const ascii = /^[\x20-\x7e]*$/.test(name) ? name : name.replace(/[^\x20-\x7e]/g, '_');
  h.write(ascii.slice(0, 100), 0, 'ascii');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(Math.min(size, USTAR_MAX_SIZE), 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\x0000', 257, 'binary');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** One pax record: `<length> <key>=<value>\n`, the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

export class TarWriter {
  private position = 0;
  private gathered: Buffer = Buffer.allocUnsafe(GATHER);
  private gatheredLength = 0;
  private readonly inFlight: Promise<unknown>[] = [];
  private readonly mtime: number;
  private closed = false;
  private readonly hash = createHash('sha256');
  /** Read buffers of `addFile`: one more than the writes that may be in flight, and one being hashed. */
  private readonly pool = Array.from({ length: IN_FLIGHT + 2 }, () => Buffer.allocUnsafeSlow(1 << 20));
  private readonly flush: FlushBehind;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    date: Date,
    private readonly hasher: HashWorker | null,
  ) {
    this.mtime = Math.floor(date.getTime() / 1000);
    this.flush = new FlushBehind(fh);
    hasher?.begin(['sha256']);
  }

  static async create(path: string, opts: { date: Date; hasher?: HashWorker }): Promise<TarWriter> {
    return new TarWriter(path, await open(path, 'wx', 0o640), opts.date, opts.hasher ?? null);
  }

  /**
   * One entry: its header(s), then the source's chunks as they come (each passed to `onChunk` first,
   * which may wait: the payload's own hashing), then the padding. The source must give exactly `size` bytes.
   */
  async add(entry: { name: string; size: number; mode: number; source: AsyncIterable<Buffer> | Iterable<Buffer> }, onChunk: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    const pax: string[] = [];
    if (Buffer.byteLength(entry.name) > 100 || !/^[\x20-\x7e]*$/.test(entry.name)) pax.push(paxRecord('path', entry.name));
    if (entry.size > USTAR_MAX_SIZE) pax.push(paxRecord('size', String(entry.size)));
    if (pax.length) {
      const body = Buffer.from(pax.join(''), 'utf8');
      await this.write(header(`PaxHeader/${entry.name.split('/').pop()!.slice(0, 80)}`, body.length, 0o644, this.mtime, 'x'));
      await this.write(body);
      await this.write(Buffer.alloc(padding(body.length)));
    }
    await this.write(header(entry.name, entry.size, entry.mode, this.mtime, '0'));
    let got = 0;
    for await (const chunk of entry.source) {
      got += chunk.length;
      if (got > entry.size) throw new Error(`${entry.name}: more bytes than its ${entry.size}`);
      await onChunk(chunk);
      await this.write(chunk);
    }
    if (got !== entry.size) throw new Error(`${entry.name}: ${got} bytes, expected ${entry.size}`);
    await this.write(Buffer.alloc(padding(entry.size)));
  }

  /**
   * One entry whose bytes are a file (an LFS object, the bundle): read straight into a small pool of
   * buffers that are used again once written — no buffer per chunk left for the garbage collector,
   * which would otherwise let tens of MB of spent chunks pile up before it runs.
   */
  async addFile(entry: { name: string; size: number; mode: number; path: string }, onChunk: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    const fh = await open(entry.path, 'r');
    const pool = this.pool;
    let next = 0;
    let at = 0;
    // One read ahead: the next chunk is read while this one is hashed and written. Buffer `next` was
    // last handed out pool.length chunks ago, and after each write at most IN_FLIGHT - 1 writes are
    // pending: with the chunk being handled and the one being read, IN_FLIGHT + 2 buffers never overlap.
    let ahead: Promise<Buffer> | null = null;
    const readAhead = () => {
      if (at >= entry.size) return null;
      const buf = pool[next];
      next = (next + 1) % pool.length;
      const want = Math.min(buf.length, entry.size - at);
      const p = fh.read(buf, 0, want, at).then(({ bytesRead }) => buf.subarray(0, bytesRead));
      p.catch(() => undefined);
      at += want;
      return p;
    };
    const chunks = async function* (): AsyncGenerator<Buffer> {
      ahead = readAhead();
      while (ahead) {
        const chunk = await ahead;
        // Shorter than announced (a read at the end gives nothing): `add` says so.
        if (chunk.length === 0) return;
        ahead = readAhead();
        yield chunk;
      }
      // Longer than announced: one byte more makes `add` refuse it.
      const probe = Buffer.alloc(1);
      if ((await fh.read(probe, 0, 1, entry.size)).bytesRead > 0) yield probe;
    };
    try {
      await this.add({ name: entry.name, size: entry.size, mode: entry.mode, source: chunks() }, onChunk);
    } finally {
      await (ahead as Promise<Buffer> | null)?.catch(() => undefined);
      await fh.close();
    }
  }

  /** The end-of-archive blocks; waits for every write, fsyncs once; the tar's size and SHA-256. */
  async finish(): Promise<{ size: number; sha256: string }> {
    await this.write(Buffer.alloc(2 * BLOCK));
    this.flushGathered();
    await Promise.all([...this.inFlight, this.flush.settled()]);
    this.flush.throwIfFailed();
    await this.fh.sync();
    this.closed = true;
    await this.fh.close();
    return { size: this.position, sha256: this.hasher ? (await this.hasher.digest()).sha256 : this.hash.digest('hex') };
  }

  /** Closes the file without finishing it (the caller removes it). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight, this.flush.settled()]);
    await this.fh.close().catch(() => undefined);
  }

  private async write(data: Buffer): Promise<void> {
    if (data.length === 0) return;
    this.flush.throwIfFailed();
    if (this.hasher) await this.hasher.update(data);
    else this.hash.update(data);
    if (data.length < GATHER / 4) {
      if (this.gatheredLength + data.length > GATHER) this.flushGathered();
      data.copy(this.gathered, this.gatheredLength);
      this.gatheredLength += data.length;
    } else {
      this.flushGathered();
      this.issue(data);
    }
    if (this.inFlight.length >= IN_FLIGHT) await this.inFlight.shift();
  }

  private flushGathered(): void {
    if (this.gatheredLength === 0) return;
    const data = this.gathered.subarray(0, this.gatheredLength);
    this.gathered = Buffer.allocUnsafe(GATHER);
    this.gatheredLength = 0;
    this.issue(data);
  }

  /** A positional write (safe to overlap with the others); its failure surfaces when it is awaited. */
  private issue(data: Buffer): void {
    const at = this.position;
    this.position += data.length;
    const written = writeAt(this.fh, data, at);
    written.catch(() => undefined);
    this.inFlight.push(written);
    this.flush.after(this.position, this.inFlight);
  }
}

/** The entries of a tar written by `TarWriter` (ustar + pax `path`/`size`), read one header at a time. */
export async function* readTarEntries(path: string): AsyncGenerator<TarEntry> {
  const fh = await open(path, 'r');
  try {
    const block = Buffer.alloc(BLOCK);
    let at = 0;
    let pax: Record<string, string> = {};
    for (;;) {
      const { bytesRead } = await fh.read(block, 0, BLOCK, at);
      if (bytesRead < BLOCK) throw new Error(`${path}: truncated tar at ${at}`);
      if (block.every((b) => b === 0)) return;
      const field = (start: number, len: number) => block.subarray(start, start + len).toString('latin1').replace(/\0.*$/s, '').trim();
      const type = String.fromCharCode(block[156]);
      let size = parseInt(field(124, 12) || '0', 8);
      const mode = parseInt(field(100, 8) || '644', 8);
      if (pax.size) size = Number(pax.size);
      const offset = at + BLOCK;
      if (type === 'x') {
        const body = Buffer.alloc(size);
        await fh.read(body, 0, size, offset);
        pax = {};
        for (let i = 0; i < body.length; ) {
          const space = body.indexOf(0x20, i);
          const len = Number(body.subarray(i, space).toString('latin1'));
          if (space < 0 || !(len > 0)) throw new Error(`${path}: malformed pax header at ${at}`);
          const record = body.subarray(space + 1, i + len - 1).toString('utf8');
          const eq = record.indexOf('=');
          pax[record.slice(0, eq)] = record.slice(eq + 1);
          i += len;
        }
      } else {
        if (type !== '0' && type !== '\0') throw new Error(`${path}: unexpected tar entry type ${JSON.stringify(type)}`);
        yield { name: pax.path ?? field(0, 100), mode, size, offset };
        pax = {};
      }
      at = offset + size + padding(size);
    }
  } finally {
    await fh.close();
  }
}
