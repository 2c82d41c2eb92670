import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { FlushBehind } from '../../storage/flush-behind.js';
import { writeAt } from '../../storage/write-at.js';
import { readTarEntries } from './tar-writer.js';

/**
 * The bag's zip serialization, made from its finished tar (issue 8): the same entries in the same
 * order, stored (no deflate: installers and dumps are compressed already, and an archive wants the
 * bytes as they are), names in UTF-8 (flag bit 11). Written by hand, as the tar is, so that the bytes
 * go from the tar to the zip through a few reused buffers — no archiver (~25 MB), no buffer per chunk
 * left for the garbage collector — with the zip's SHA-256 computed as it is written and one fsync.
 *
 * Each entry is read twice from the tar (which the page cache holds, having just written it): once
 * for its CRC-32 (Node's native `zlib.crc32`), which the local header carries before the bytes, then
 * to copy it. The central directory is spooled to a scratch file as the entries go (a bag of 100 000
 * files never sits in memory) and appended at the end.
 *
 * ZIP64 (APPNOTE 4.5.3): an entry of 4 GiB or more, or past 4 GiB in the file, gets the ZIP64 extra
 * field; the ZIP64 end records are written when anything needs them, or always with `zip64` (asked for
 * when the package may pass 4 GiB).
 */
const crc32 = (zlib as unknown as { crc32: (data: Uint8Array, value?: number) => number }).crc32;
const MAX32 = 0xffffffff;
const CHUNK = 1 << 20;
const UTF8_NAMES = 0x0800;

export interface ArchiveOutput {
  size: number;
  sha256: string;
}

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return { time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2), date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate() };
}

/** Sequential writes at known positions, gathered into ~1 MiB writes, hashed as they go, flushed behind. */
class Out {
  position = 0;
  private readonly hash = createHash('sha256');
  private gathered = Buffer.allocUnsafe(CHUNK);
  private length = 0;
  private readonly flushing: FlushBehind;

  constructor(private readonly fh: FileHandle) {
    this.flushing = new FlushBehind(fh);
  }

  async write(data: Buffer): Promise<void> {
    this.flushing.throwIfFailed();
    this.hash.update(data);
    if (this.length + data.length > CHUNK) await this.flush();
    if (data.length >= CHUNK) {
      await this.put(data, this.position);
    } else {
      data.copy(this.gathered, this.length);
      this.length += data.length;
    }
    this.position += data.length;
  }

  async flush(): Promise<void> {
    if (!this.length) return;
    await this.put(this.gathered.subarray(0, this.length), this.position - this.length);
    this.length = 0;
  }

  async finish(): Promise<ArchiveOutput> {
    await this.flush();
    await this.settled();
    this.flushing.throwIfFailed();
    await this.fh.sync();
    return { size: this.position, sha256: this.hash.digest('hex') };
  }

  /** Waits for a background flush (before the file is closed). */
  settled(): Promise<void> {
    return this.flushing.settled();
  }

  private async put(data: Buffer, at: number): Promise<void> {
    await writeAt(this.fh, data, at);
    this.flushing.after(at + data.length, []);
  }
}

/** The scratch file `zipFromTar` spools the central directory to, beside the zip it makes (removed when done; a kill can leave it). */
export const centralDirectoryScratch = (zipPath: string) => `${zipPath}.cd`;

export async function zipFromTar(tarPath: string, zipPath: string, opts: { date: Date; zip64: boolean }): Promise<ArchiveOutput> {
  const { time, date } = dosDateTime(opts.date);
  const tar = await open(tarPath, 'r');
  const zipFile = await open(zipPath, 'w', 0o640);
  const cdPath = centralDirectoryScratch(zipPath);
  const cd = await open(cdPath, 'w+', 0o600);
  const buf = Buffer.allocUnsafeSlow(CHUNK);
  const out = new Out(zipFile);
  const central = new Out(cd);
  try {
    let entries = 0;
    let needs64 = opts.zip64;
    for await (const e of readTarEntries(tarPath)) {
      let crc = 0;
      for (let at = 0; at < e.size; ) {
        const { bytesRead } = await tar.read(buf, 0, Math.min(CHUNK, e.size - at), e.offset + at);
        if (bytesRead === 0) throw new Error(`${tarPath}: ${e.name} is cut short`);
        crc = crc32(buf.subarray(0, bytesRead), crc);
        at += bytesRead;
      }
      const name = Buffer.from(e.name, 'utf8');
      const offset = out.position;
      const big = e.size >= MAX32;
      const far = offset >= MAX32;
      if (big || far) needs64 = true;
      const version = big || far ? 45 : 20;
      // Local header: the ZIP64 extra (both sizes) when the entry is 4 GiB or more.
      const local = Buffer.alloc(30 + name.length + (big ? 20 : 0));
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(version, 4);
      local.writeUInt16LE(UTF8_NAMES, 6);
      local.writeUInt16LE(0, 8);
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      local.writeUInt32LE(crc >>> 0, 14);
      local.writeUInt32LE(big ? MAX32 : e.size, 18);
      local.writeUInt32LE(big ? MAX32 : e.size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(big ? 20 : 0, 28);
      name.copy(local, 30);
      if (big) {
        local.writeUInt16LE(0x0001, 30 + name.length);
        local.writeUInt16LE(16, 32 + name.length);
        local.writeBigUInt64LE(BigInt(e.size), 34 + name.length);
        local.writeBigUInt64LE(BigInt(e.size), 42 + name.length);
      }
      await out.write(local);
      for (let at = 0; at < e.size; ) {
        const { bytesRead } = await tar.read(buf, 0, Math.min(CHUNK, e.size - at), e.offset + at);
        if (bytesRead === 0) throw new Error(`${tarPath}: ${e.name} is cut short`);
        // `Out` copies what it keeps (or has written it) before `buf` is read into again.
        await out.write(buf.subarray(0, bytesRead));
        at += bytesRead;
      }
      // Central directory header: the ZIP64 extra holds, in this order, only the fields that overflow.
      const extra: bigint[] = [];
      if (big) extra.push(BigInt(e.size), BigInt(e.size));
      if (far) extra.push(BigInt(offset));
      const record = Buffer.alloc(46 + name.length + (extra.length ? 4 + 8 * extra.length : 0));
      record.writeUInt32LE(0x02014b50, 0);
      record.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, 4.5
      record.writeUInt16LE(version, 6);
      record.writeUInt16LE(UTF8_NAMES, 8);
      record.writeUInt16LE(0, 10);
      record.writeUInt16LE(time, 12);
      record.writeUInt16LE(date, 14);
      record.writeUInt32LE(crc >>> 0, 16);
      record.writeUInt32LE(big ? MAX32 : e.size, 20);
      record.writeUInt32LE(big ? MAX32 : e.size, 24);
      record.writeUInt16LE(name.length, 28);
      record.writeUInt16LE(extra.length ? 4 + 8 * extra.length : 0, 30);
      record.writeUInt32LE(((0o100000 | (e.mode & 0o7777)) << 16) >>> 0, 38); // regular file, its mode
      record.writeUInt32LE(far ? MAX32 : offset, 42);
      name.copy(record, 46);
      if (extra.length) {
        record.writeUInt16LE(0x0001, 46 + name.length);
        record.writeUInt16LE(8 * extra.length, 48 + name.length);
        extra.forEach((v, i) => record.writeBigUInt64LE(v, 50 + name.length + 8 * i));
      }
      await central.write(record);
      entries++;
    }
    // The central directory, copied from its scratch file.
    await central.flush();
    const cdOffset = out.position;
    for (let at = 0; at < central.position; ) {
      const { bytesRead } = await cd.read(buf, 0, Math.min(CHUNK, central.position - at), at);
      await out.write(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
    const cdSize = central.position;
    if (entries >= 0xffff || cdOffset >= MAX32 || cdSize >= MAX32) needs64 = true;
    if (needs64) {
      const end64At = out.position;
      const end64 = Buffer.alloc(56 + 20);
      end64.writeUInt32LE(0x06064b50, 0);
      end64.writeBigUInt64LE(44n, 4);
      end64.writeUInt16LE((3 << 8) | 45, 12);
      end64.writeUInt16LE(45, 14);
      end64.writeBigUInt64LE(BigInt(entries), 24);
      end64.writeBigUInt64LE(BigInt(entries), 32);
      end64.writeBigUInt64LE(BigInt(cdSize), 40);
      end64.writeBigUInt64LE(BigInt(cdOffset), 48);
      end64.writeUInt32LE(0x07064b50, 56); // the locator
      end64.writeBigUInt64LE(BigInt(end64At), 64);
      end64.writeUInt32LE(1, 72);
      await out.write(end64);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(entries, 0xffff), 8);
    end.writeUInt16LE(Math.min(entries, 0xffff), 10);
    end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
    end.writeUInt32LE(Math.min(cdOffset, MAX32), 16);
    await out.write(end);
    return await out.finish();
  } finally {
    await Promise.all([out.settled(), central.settled()]);
    await tar.close();
    await zipFile.close();
    await cd.close();
    await unlink(cdPath).catch(() => undefined);
  }
}
