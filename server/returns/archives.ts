import { createHash } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarArchive, ZipArchive, type Archiver } from 'archiver';

/**
 * The two serializations of one bag, written side by side (archiver): a zip (entries stored — the
 * payload is mostly installers and dumps that are compressed already, and an archive wants the bytes
 * as they are) and a POSIX tar. Each source is read once and teed into both; each archive streams to
 * its file through a SHA-256, so the packages' checksums are known the moment they are written.
 * Memory stays constant: every hop is a stream with a bounded buffer and backpressure reaches the
 * source (git, the blob store, a file).
 *
 * ZIP64: archiver writes the ZIP64 fields by itself for an entry or an offset past 4 GiB; `zip64`
 * forces the ZIP64 end records too, which the caller asks for when the package may pass 4 GiB.
 */
export interface ArchiveOutput {
  size: number;
  sha256: string;
}

export interface TeeEntry {
  /** The full entry name (bag folder included), built by `entryName` from checked parts only. */
  name: string;
  size: number;
  mode: number;
  source: Readable;
  /** Called with each chunk as it passes (hashing, progress). */
  onChunk: (chunk: Buffer) => void;
}

const HIGH_WATER = 1 << 20;

export class ArchivePair {
  private readonly zip: Archiver;
  private readonly tar: Archiver;
  private readonly outputs: Promise<[ArchiveOutput, ArchiveOutput]>;
  private failure: Error | null = null;
  private readonly failed: Promise<never>;
  private fail!: (err: Error) => void;

  constructor(
    private readonly paths: { zip: string; tar: string },
    private readonly opts: { date: Date; zip64: boolean },
  ) {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.fail = (err) => {
        if (this.failure) return;
        this.failure = err;
        reject(err);
      };
    });
    this.failed.catch(() => undefined);
    this.zip = new ZipArchive({ store: true, forceZip64: opts.zip64 });
    this.tar = new TarArchive({});
    this.outputs = Promise.all([this.writeOut(this.zip, paths.zip), this.writeOut(this.tar, paths.tar)]);
    this.outputs.catch((err: Error) => this.fail(err));
  }

  private async writeOut(archive: Archiver, path: string): Promise<ArchiveOutput> {
    archive.on('warning', (err: Error) => archive.emit('error', err));
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      highWaterMark: HIGH_WATER,
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(archive, meter, createWriteStream(path, { flags: 'wx', mode: 0o640, highWaterMark: HIGH_WATER }));
    // The file reaches the disk before the package is called ready.
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { size, sha256: hash.digest('hex') };
  }

  /** Streams one entry into both archives; resolves when both have written it. */
  async add(entry: TeeEntry): Promise<void> {
    if (this.failure) throw this.failure;
    const toZip = new PassThrough({ highWaterMark: HIGH_WATER });
    const toTar = new PassThrough({ highWaterMark: HIGH_WATER });
    const written = Promise.all([once(this.zip, 'entry'), once(this.tar, 'entry')]);
    written.catch(() => undefined);
    const data = { name: entry.name, date: this.opts.date, mode: entry.mode };
    this.zip.append(toZip, data);
    // tar needs the size up front; given it, archiver streams the entry instead of buffering it.
    this.tar.append(toTar, { ...data, stats: { size: entry.size } as Stats });
    let got = 0;
    try {
      for await (const chunk of entry.source as AsyncIterable<Buffer>) {
        got += chunk.length;
        if (got > entry.size) throw new Error(`${entry.name}: more bytes than its ${entry.size}`);
        entry.onChunk(chunk);
        const zipOk = toZip.write(chunk);
        const tarOk = toTar.write(chunk);
        if (!zipOk) await Promise.race([once(toZip, 'drain'), this.failed]);
        if (!tarOk) await Promise.race([once(toTar, 'drain'), this.failed]);
      }
      if (got !== entry.size) throw new Error(`${entry.name}: ${got} bytes, expected ${entry.size}`);
    } catch (err) {
      entry.source.destroy();
      this.fail(err as Error);
      toZip.destroy();
      toTar.destroy();
      throw err;
    }
    toZip.end();
    toTar.end();
    await Promise.race([written, this.failed]);
  }

  /** Writes the archives' ends, waits for the files to be on disk; returns their sizes and SHA-256. */
  async finish(): Promise<{ zip: ArchiveOutput; tar: ArchiveOutput }> {
    if (this.failure) throw this.failure;
    await Promise.all([this.zip.finalize(), this.tar.finalize()]);
    const [zip, tar] = await this.outputs;
    return { zip, tar };
  }

  /** Stops both archives and removes what was written. */
  async abort(): Promise<void> {
    this.fail(new Error('aborted'));
    // archiver's abort stops its queue (no further entry reaches a destroyed engine); destroying the
    // archives then ends their pipelines at once instead of waiting for the entry in hand.
    for (const a of [this.zip, this.tar]) {
      a.abort();
      a.destroy(new Error('aborted'));
    }
    await this.outputs.catch(() => undefined);
    await Promise.all([unlink(this.paths.zip).catch(() => undefined), unlink(this.paths.tar).catch(() => undefined)]);
  }
}
