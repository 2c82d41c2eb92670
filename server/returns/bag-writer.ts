import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ArchiveOutput } from './archives.js';
import { HashWorker } from '../../storage/hash-worker.js';
import { TarWriter } from './tar-writer.js';
import { ALGORITHMS, BAGIT_TXT, bagInfo, bagSize, entryName, isPortablePath, manifestLine, payloadOxum, type Algorithm, type Digests } from './bagit.js';

/**
 * A BagIt 1.0 bag (RFC 8493) written straight into its tar serialization, in one pass: each payload
 * file is read once, hashed (SHA-256 on this thread, SHA-512 on a worker thread) as it streams into
 * the tar (whose own SHA-256 is computed on a second worker), and its manifest lines go to scratch
 * files on disk — so neither a payload file nor the manifests of a hundred thousand files are ever
 * held in memory. The tag files that depend on the payload (the manifests, bag-info.txt with
 * Payload-Oxum, the tag manifests) are written last: a serialized bag's entries may come in any order.
 * The zip serialization is made from the finished tar (`archives.ts`), after the package is ready.
 */
export interface BagSource {
  /** Path under `data/`, made of checked segments (`deposit/source/main.go`, `records/system.json`). */
  path: string;
  size: number;
  open: () => Readable | Promise<Readable>;
  /** The content is this file (an LFS object, the bundle): read by the writer into reused buffers, `open` unused. */
  file?: string;
  /** 0o755 for executables; 0o644 otherwise. */
  mode?: number;
  /** Digests already computed while the file was made (the bundle, the audit trail): not computed again. */
  digests?: Digests;
  /** The content must hash to this (an LFS object's oid, an act's recorded SHA-256), else the bag fails. */
  expectSha256?: string;
}

export interface BagResult {
  tar: ArchiveOutput;
  payloadBytes: number;
  payloadFiles: number;
}

/** A text file written to scratch space in chunks, hashed as it is written (manifests, the audit trail). */
export class HashedFile {
  private buffered = '';
  private closed = false;
  readonly hashes: Record<Algorithm, Hash> = { sha256: createHash('sha256'), sha512: createHash('sha512') };
  size = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Closes the file without finishing it (the job failed; the scratch folder goes anyway). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => undefined);
  }

  static async create(path: string): Promise<HashedFile> {
    return new HashedFile(path, await open(path, 'wx', 0o600));
  }

  async append(line: string): Promise<void> {
    this.buffered += line;
    if (this.buffered.length >= 256 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    const bytes = Buffer.from(this.buffered, 'utf8');
    this.buffered = '';
    for (const h of Object.values(this.hashes)) h.update(bytes);
    this.size += bytes.length;
    await this.fh.write(bytes);
  }

  async close(): Promise<Digests> {
    await this.flush();
    this.closed = true;
    await this.fh.close();
    return { sha256: this.hashes.sha256.digest('hex'), sha512: this.hashes.sha512.digest('hex') };
  }
}

const digestsOf = (content: Buffer): Digests => ({ sha256: createHash('sha256').update(content).digest('hex'), sha512: createHash('sha512').update(content).digest('hex') });

export class BagWriter {
  private tar!: TarWriter;
  /** SHA-512 of each payload file, on the second core; the payload's SHA-256 stays on this thread. */
  private sha512!: HashWorker;
  /** The tar's own SHA-256, on another worker: on two cores it runs beside the payload's hashing. */
  private tarHash!: HashWorker;
  private manifests!: Record<Algorithm, HashedFile>;
  private readonly tagFiles: { path: string; digests: Digests }[] = [];
  private payloadBytes = 0;
  private payloadFiles = 0;

  constructor(private readonly opts: { bag: string; work: string; tarPath: string; date: Date; onBytes: (n: number) => void }) {}

  /** Opens the tar and the manifests' scratch files, and writes the declaration (bagit.txt) first. */
  async start(): Promise<void> {
    this.sha512 = new HashWorker();
    this.tarHash = new HashWorker();
    this.tar = await TarWriter.create(this.opts.tarPath, { date: this.opts.date, hasher: this.tarHash });
    this.manifests = {
      sha256: await HashedFile.create(join(this.opts.work, 'manifest-sha256.txt')),
      sha512: await HashedFile.create(join(this.opts.work, 'manifest-sha512.txt')),
    };
    await this.addTag('bagit.txt', Buffer.from(BAGIT_TXT, 'utf8'));
  }

  /** One payload file: streamed into the tar, hashed on the way (SHA-256 here, SHA-512 on a worker), listed in both manifests. */
  async addPayload(source: BagSource): Promise<Digests> {
    if (!isPortablePath(source.path)) throw new Error(`refusing a payload path: ${JSON.stringify(source.path)}`);
    const name = entryName(this.opts.bag, 'data', source.path);
    const sha256 = source.digests ? null : createHash('sha256');
    if (!source.digests) this.sha512.begin(['sha512']);
    const onChunk = (chunk: Buffer) => {
      this.opts.onBytes(chunk.length);
      if (!sha256) return;
      sha256.update(chunk);
      return this.sha512.update(chunk);
    };
    const entry = { name, size: source.size, mode: source.mode ?? 0o644 };
    if (source.file) {
      await this.tar.addFile({ ...entry, path: source.file }, onChunk);
    } else {
      const stream = await source.open();
      try {
        await this.tar.add({ ...entry, source: stream as AsyncIterable<Buffer> }, onChunk);
      } catch (err) {
        stream.destroy();
        throw err;
      }
    }
    const digests = source.digests ?? { sha256: sha256!.digest('hex'), sha512: (await this.sha512.digest()).sha512 };
    if (source.expectSha256 && digests.sha256 !== source.expectSha256) throw new Error(`data/${source.path}: its SHA-256 is ${digests.sha256}, the record says ${source.expectSha256}`);
    for (const alg of ALGORITHMS) await this.manifests[alg].append(manifestLine(digests[alg], `data/${source.path}`));
    this.payloadBytes += source.size;
    this.payloadFiles += 1;
    return digests;
  }

  /** A small payload file made in memory (a record, a small blob). */
  addPayloadBuffer(path: string, content: Buffer, mode = 0o644): Promise<Digests> {
    return this.addPayload({ path, size: content.length, mode, open: () => Readable.from([content]), digests: digestsOf(content) });
  }

  private async addTag(path: string, content: Buffer, digests = digestsOf(content)): Promise<void> {
    await this.tar.add({ name: entryName(this.opts.bag, path), size: content.length, mode: 0o644, source: [content] }, () => undefined);
    this.tagFiles.push({ path, digests });
  }

  /**
   * Writes the tag files that depend on the whole payload — the two manifests, bag-info.txt (the
   * elements given, with Bag-Size and Payload-Oxum added) and the two tag manifests — and closes the
   * tar (fsynced). The zip is made from the tar afterwards (`zipFromTar`).
   */
  async finish(info: [string, string | null | undefined][]): Promise<BagResult> {
    for (const alg of ALGORITHMS) {
      const m = this.manifests[alg];
      const digests = await m.close();
      const name = `manifest-${alg}.txt`;
      await this.tar.add({ name: entryName(this.opts.bag, name), size: m.size, mode: 0o644, source: createReadStream(m.path, { highWaterMark: 1 << 20 }) }, () => undefined);
      this.tagFiles.push({ path: name, digests });
    }
    const elements: [string, string | null | undefined][] = [...info, ['Bag-Size', bagSize(this.payloadBytes)], ['Payload-Oxum', payloadOxum(this.payloadBytes, this.payloadFiles)]];
    await this.addTag('bag-info.txt', Buffer.from(bagInfo(elements), 'utf8'));
    // §2.2.1: each tag manifest lists every other tag file (the payload manifests included), never itself.
    const listed = [...this.tagFiles];
    for (const alg of ALGORITHMS) {
      const content = Buffer.from(listed.map((f) => manifestLine(f.digests[alg], f.path)).join(''), 'utf8');
      await this.tar.add({ name: entryName(this.opts.bag, `tagmanifest-${alg}.txt`), size: content.length, mode: 0o644, source: [content] }, () => undefined);
    }
    const tar = await this.tar.finish();
    await this.closeWorkers();
    return { tar, payloadBytes: this.payloadBytes, payloadFiles: this.payloadFiles };
  }

  async abort(): Promise<void> {
    for (const m of Object.values(this.manifests ?? {})) await m.discard();
    await this.tar?.abort();
    await this.closeWorkers();
  }

  private async closeWorkers(): Promise<void> {
    await Promise.all([this.sha512?.close(), this.tarHash?.close()]);
  }
}
