import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zipFromTar } from '../../server/returns/archives.js';
import { HashWorker } from '../../storage/hash-worker.js';
import { readTarEntries, TarWriter } from '../../server/returns/tar-writer.js';

/**
 * The return package's own tar writer and worker-thread hashing (issue 8, performance), checked
 * against readers that share no code with them: GNU tar and Python's tarfile.
 */
const root = mkdtempSync(join(tmpdir(), 'qoima-tar-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');

describe('HashWorker', () => {
  it('gives the digests of node:crypto for any chunking, through a ring smaller than the data', async () => {
    const data = randomBytes(300_000);
    const h = new HashWorker(2, 10_000); // 2 slots of 10 kB: update must wait for the worker
    try {
      for (const sizes of [[1], [9_999, 10_001, 1], [64 * 1024], [300_000]]) {
        h.begin(['sha256', 'sha512']);
        for (let at = 0, i = 0; at < data.length; i++) {
          const n = sizes[i % sizes.length];
          await h.update(data.subarray(at, at + n));
          at += n;
        }
        expect(await h.digest()).toEqual({ sha256: sha('sha256', data), sha512: sha('sha512', data) });
      }
      h.begin(['sha256']);
      expect(await h.digest()).toEqual({ sha256: sha('sha256', Buffer.alloc(0)) });
    } finally {
      await h.close();
    }
    await expect(h.digest()).rejects.toThrow(/closed/);
  });
});

describe('TarWriter, and the zip made from its tar', () => {
  it('writes a pax tar that GNU tar and Python read back exactly, long and non-ASCII names included; the zip too', async () => {
    const files: [string, Buffer, number][] = [
      ['BAG/bagit.txt', Buffer.from('BagIt-Version: 1.0\n'), 0o644],
      ['BAG/data/empty.txt', Buffer.alloc(0), 0o644],
      ['BAG/data/run.sh', Buffer.from('#!/bin/sh\n'), 0o755],
      ['BAG/data/docs/ТЗ 100% қ.txt', randomBytes(513), 0o644],
      [`BAG/data/${'long-folder-name/'.repeat(12)}file.bin`, randomBytes(1 << 20), 0o644],
      // pax records of 99 and 101 bytes: the length field goes from two digits to three as it counts itself
      [`BAG/data/${'ә'.repeat(40)}x`, randomBytes(1500), 0o644],
      [`BAG/data/${'ә'.repeat(41)}`, randomBytes(1), 0o644],
      [`BAG/data/${'ә'.repeat(60)}`, randomBytes(2 * 1024 * 1024 + 7), 0o644],
    ];
    const path = join(root, 'a.tar');
    const tar = await TarWriter.create(path, { date: new Date('2026-03-24T10:00:00Z') });
    let seen = 0;
    for (const [name, content, mode] of files) {
      // in odd chunks, as git and the blob store hand them over
      const chunks = Array.from({ length: Math.ceil(content.length / 70_001) }, (_, i) => content.subarray(i * 70_001, (i + 1) * 70_001));
      await tar.add({ name, size: content.length, mode, source: chunks }, (c) => void (seen += c.length));
    }
    // A file entry, read through the writer's reused buffers (more of them than the pool holds).
    const big = randomBytes(7 * 1024 * 1024 + 5);
    writeFileSync(join(root, 'big.bin'), big);
    await tar.addFile({ name: 'BAG/data/big.bin', size: big.length, mode: 0o644, path: join(root, 'big.bin') }, (c) => void (seen += c.length));
    files.push(['BAG/data/big.bin', big, 0o644]);
    const out = await tar.finish();
    const bytes = readFileSync(path);
    expect(out).toEqual({ size: bytes.length, sha256: sha('sha256', bytes) });
    expect(seen).toBe(files.reduce((s, [, c]) => s + c.length, 0));

    const listing = execFileSync('tar', ['-tvf', path], { encoding: 'utf8' });
    expect(listing).toMatch(/-rwxr-xr-x .* BAG\/data\/run\.sh/);
    const python = execFileSync(
      'python3',
      ['-c', 'import tarfile,hashlib,sys,json\nt=tarfile.open(sys.argv[1])\nprint(json.dumps([[m.name,m.size,m.mode,hashlib.sha256(t.extractfile(m).read()).hexdigest()] for m in t.getmembers()]))', path],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(python)).toEqual(files.map(([name, content, mode]) => [name, content.length, mode, sha('sha256', content)]));

    // Our reader (the zip is made from it) finds every entry's bytes where they are.
    const entries = [];
    for await (const e of readTarEntries(path)) entries.push(e);
    expect(entries.map((e) => [e.name, e.size, e.mode])).toEqual(files.map(([name, content, mode]) => [name, content.length, mode]));
    for (const [i, e] of entries.entries()) expect(Buffer.compare(bytes.subarray(e.offset, e.offset + e.size), files[i][1])).toBe(0);

    // The zip made from it: the same entries, CRCs, modes and bytes for unzip and Python's zipfile.
    for (const zip64 of [false, true]) {
      const zipPath = join(root, `a-${zip64}.zip`);
      const made = await zipFromTar(path, zipPath, { date: new Date('2026-03-24T10:00:00Z'), zip64 });
      const zbytes = readFileSync(zipPath);
      expect(made).toEqual({ size: zbytes.length, sha256: sha('sha256', zbytes) });
      expect(zbytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(zip64); // ZIP64 end record only when asked (or needed)
      execFileSync('unzip', ['-tq', zipPath]);
      const read = execFileSync(
        'python3',
        ['-c', 'import zipfile,hashlib,sys,json\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps([[i.filename,i.file_size,i.external_attr>>16,hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))', zipPath],
        { encoding: 'utf8' },
      );
      expect(JSON.parse(read)).toEqual(files.map(([name, content, mode]) => [name, content.length, 0o100000 | mode, sha('sha256', content)]));
    }
  });

  it('refuses a source that gives more or fewer bytes than announced', async () => {
    const tar = await TarWriter.create(join(root, 'bad.tar'), { date: new Date() });
    await expect(tar.add({ name: 'x', size: 3, mode: 0o644, source: [Buffer.from('abcd')] }, () => undefined)).rejects.toThrow(/more bytes/);
    await tar.abort();
    const tar2 = await TarWriter.create(join(root, 'bad2.tar'), { date: new Date() });
    await expect(tar2.add({ name: 'x', size: 5, mode: 0o644, source: [Buffer.from('abcd')] }, () => undefined)).rejects.toThrow(/4 bytes, expected 5/);
    await tar2.abort();
    // A file that is not the size announced (an object changed under us) is refused the same way.
    writeFileSync(join(root, 'f.bin'), 'abcdef');
    for (const [size, error] of [[5, /more bytes/], [7, /6 bytes, expected 7/]] as const) {
      const t3 = await TarWriter.create(join(root, `bad-${size}.tar`), { date: new Date() });
      await expect(t3.addFile({ name: 'f', size, mode: 0o644, path: join(root, 'f.bin') }, () => undefined)).rejects.toThrow(error);
      await t3.abort();
    }
  });
});
