import { createHash } from 'node:crypto';
import { createWriteStream, type Stats, type WriteStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { PassThrough, Transform, type Readable } from 'node:stream';
import type { Archiver } from 'archiver';
import type { DigestThread } from './digest-thread.js';

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
 *
 * Giving up (`abort`) never goes through archiver's own abort: with tar-stream 3 its shutdown calls a
 * method the tar engine lacks and throws outside any handler. The archives are instead cut off from
 * their files, which are closed and removed; what is left of them is garbage.
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
  /** Called with each chunk as it passes (hashing, progress); a promise returned is waited for. */
  onChunk: (chunk: Buffer) => void | Promise<void>;
}

const HIGH_WATER = 1 << 20;

/** Resolves when the stream can take more (at once if it already can). */
const drained = (w: PassThrough): Promise<unknown> => (w.writableNeedDrain ? once(w, 'drain') : Promise.resolve());

export class ArchivePair {
  private readonly zip: Archiver;
  private readonly tar: Archiver;
  private readonly files: WriteStream[] = [];
  private readonly outputs: Promise<[ArchiveOutput, ArchiveOutput]>;
  private failure: Error | null = null;
  private readonly failed: Promise<never>;
  private fail!: (err: Error) => void;

  /**
   * archiver (and what it pulls in, ~25 MB) is loaded when the first package is built, not with the
   * server: most processes never build one.
   */
  static async create(paths: { zip: string; tar: string }, opts: { date: Date; zip64: boolean; thread?: DigestThread }): Promise<ArchivePair> {
    const { ZipArchive, TarArchive } = await import('archiver');
    return new ArchivePair(paths, opts, new ZipArchive({ store: true, forceZip64: opts.zip64 }), new TarArchive({}));
  }

  private constructor(
    private readonly paths: { zip: string; tar: string },
    private readonly opts: { date: Date; zip64: boolean; thread?: DigestThread },
    zip: Archiver,
    tar: Archiver,
  ) {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.fail = (err) => {
        if (this.failure) return;
        this.failure = err;
        reject(err);
      };
    });
    this.failed.catch(() => undefined);
    this.zip = zip;
    this.tar = tar;
    // The tar's checksum is computed on the digest thread (when there is one), the zip's here.
    this.outputs = Promise.all([this.writeOut(this.zip, paths.zip), this.writeOut(this.tar, paths.tar, opts.thread)]);
    this.outputs.catch((err: Error) => this.fail(err));
  }

  /** archive → SHA-256 and byte count → file; resolves once the file is complete and on disk. */
  private writeOut(archive: Archiver, path: string, thread?: DigestThread): Promise<ArchiveOutput> {
    const local = thread ? null : createHash('sha256');
    const remote = thread?.hash('sha256');
    let size = 0;
    const meter = new Transform({
      highWaterMark: HIGH_WATER,
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        local?.update(chunk);
        const wait = remote?.update(chunk);
        if (wait) wait.then(() => done(null, chunk), done);
        else done(null, chunk);
      },
    });
    const file = createWriteStream(path, { flags: 'wx', mode: 0o640, highWaterMark: HIGH_WATER });
    this.files.push(file);
    return new Promise<ArchiveOutput>((resolve, reject) => {
      for (const s of [archive, meter, file]) s.on('error', reject);
      archive.on('warning', reject);
      file.on('finish', () => {
        // The file reaches the disk before the package is called ready.
        open(path, 'r')
          .then(async (fh) => {
            try {
              await fh.sync();
            } finally {
              await fh.close();
            }
          })
          .then(async () => resolve({ size, sha256: local ? local.digest('hex') : await remote!.digest() }))
          .catch(reject);
      });
      archive.pipe(meter).pipe(file);
    });
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
        const wait = entry.onChunk(chunk);
        if (wait) await wait;
        toZip.write(chunk);
        toTar.write(chunk);
        // Both waits are set up at once: a 'drain' of one that fires while waiting for the other is not lost.
        if (toZip.writableNeedDrain || toTar.writableNeedDrain) await Promise.race([Promise.all([drained(toZip), drained(toTar)]), this.failed]);
      }
      if (got !== entry.size) throw new Error(`${entry.name}: ${got} bytes, expected ${entry.size}`);
    } catch (err) {
      // The halves are left open, not ended: a short tar entry makes tar-stream emit an error on a
      // stream archiver does not listen to. The archives are cut off and dropped by `abort`.
      this.fail(err as Error);
      entry.source.destroy();
      throw err;
    }
    toZip.end();
    toTar.end();
    await Promise.race([written, this.failed]);
  }

  /** Writes the archives' ends, waits for the files to be on disk; returns their sizes and SHA-256. */
  async finish(): Promise<{ zip: ArchiveOutput; tar: ArchiveOutput }> {
    if (this.failure) throw this.failure;
    await Promise.race([Promise.all([this.zip.finalize(), this.tar.finalize()]), this.failed]);
    const [zip, tar] = await this.outputs;
    return { zip, tar };
  }

  /** Cuts both archives off from their files, closes and removes the files. */
  async abort(): Promise<void> {
    this.fail(new Error('aborted'));
    for (const a of [this.zip, this.tar]) {
      a.on('error', () => undefined);
      a.on('warning', () => undefined);
      a.unpipe();
    }
    await Promise.all(
      this.files.map(async (f) => {
        if (!f.closed) {
          const closed = once(f, 'close').catch(() => undefined);
          f.destroy();
          await closed;
        }
      }),
    );
    await Promise.all([unlink(this.paths.zip).catch(() => undefined), unlink(this.paths.tar).catch(() => undefined)]);
  }
}
