import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { bagInfo, bagName, bagSize, encodeManifestPath, entryName, isPortablePath, manifestLine, payloadOxum } from '../../server/returns/bagit.js';
import { zipFromTar } from '../../server/returns/archives.js';
import { BagWriter } from '../../server/returns/bag-writer.js';
import { checkBag, extractTar, extractZip } from '../helpers/bagit-check.js';

const root = mkdtempSync(join(tmpdir(), 'qoima-bagit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('BagIt tag files (RFC 8493)', () => {
  it('percent-encodes only CR, LF and % in manifest paths', () => {
    expect(encodeManifestPath('data/a b/ТЗ 100%.txt')).toBe('data/a b/ТЗ 100%25.txt');
    expect(encodeManifestPath('data/x\r\ny')).toBe('data/x%0D%0Ay');
    expect(manifestLine('ab', 'data/%')).toBe('ab  data/%25\n');
  });

  it('writes bag-info in order, drops empty values, keeps each on one line', () => {
    expect(bagInfo([['Source-Organization', 'A'], ['Contact-Email', null], ['External-Description', 'two\nlines'], ['Source-Organization', 'Б']])).toBe(
      'Source-Organization: A\nExternal-Description: two lines\nSource-Organization: Б\n',
    );
    expect(() => bagInfo([['Bad: label', 'x']])).toThrow();
    expect(payloadOxum(1234, 5)).toBe('1234.5');
    expect(bagSize(2_147_483_648)).toBe('2.1 GB');
    expect(bagSize(999)).toBe('999 B');
    expect(bagName('IS-EPROC', '2026-03-24')).toBe('IS-EPROC_return_20260324');
    expect(() => bagName('../x', '2026-03-24')).toThrow();
  });

  it('lets into the bag only paths that archivers and file systems keep as they are', () => {
    for (const ok of ['a.txt', 'source/Main.java', 'docs/ТЗ қ ә.txt', 'weird name (1) %.bin', '.gitattributes']) expect(isPortablePath(ok)).toBe(true);
    for (const bad of [null, '', '/etc/passwd', 'a/../../x', '../x', 'a/./b', 'a//b', 'a/', 'dir\\file', 'line\nbreak', 'tab\there', 'nul\u0000', 'x'.repeat(5000)]) expect(isPortablePath(bad)).toBe(false);
    expect(entryName('BAG', 'data', 'deposit/a.txt')).toBe('BAG/data/deposit/a.txt');
    expect(() => entryName('BAG', 'data', '../../etc/passwd')).toThrow();
    expect(() => entryName('C:', 'x')).toThrow();
  });
});

async function buildBag(name: string, zip64: boolean, files: Record<string, Buffer>) {
  const work = join(root, `${name}-work`);
  mkdirSync(work);
  let counted = 0;
  const date = new Date('2026-03-24T10:00:00Z');
  const writer = new BagWriter({ bag: name, work, tarPath: join(root, `${name}.tar`), date, onBytes: (n) => (counted += n) });
  await writer.start();
  for (const [path, content] of Object.entries(files)) {
    // Streamed in small chunks, as git and the blob store hand them over.
    const chunks = Array.from({ length: Math.ceil(content.length / 7000) || 1 }, (_, i) => content.subarray(i * 7000, (i + 1) * 7000));
    await writer.addPayload({ path, size: content.length, open: () => Readable.from(chunks) });
  }
  const bag = await writer.finish([['Source-Organization', 'Оператор'], ['External-Identifier', 'SYS-1']]);
  // The zip is made from the finished tar, as the job does once the package is ready.
  const zip = await zipFromTar(join(root, `${name}.tar`), join(root, `${name}.zip`), { date, zip64 });
  return { result: { ...bag, zip }, counted };
}

describe('BagWriter: one pass into the tar; the zip made from it', () => {
  const files = {
    'repository.bundle': randomBytes(150_000),
    'deposit/source/Main.java': Buffer.from('class Main {}\n'),
    'deposit/docs/ТЗ 100%.txt': Buffer.from('Техникалық тапсырма\n'),
    'deposit/empty.txt': Buffer.alloc(0),
    [`deposit/${'long-folder-name/'.repeat(12)}file.bin`]: randomBytes(3000),
  };

  it('writes a bag that an independent validator accepts, from the zip and from the tar', async () => {
    const { result, counted } = await buildBag('BAG-A', false, files);
    const bytes = Object.values(files).reduce((s, b) => s + b.length, 0);
    expect(result).toMatchObject({ payloadBytes: bytes, payloadFiles: 5 });
    expect(counted).toBe(bytes);
    for (const f of ['zip', 'tar'] as const) expect(sha(readFileSync(join(root, `BAG-A.${f}`)))).toBe(result[f].sha256);

    for (const bag of [await extractZip(join(root, 'BAG-A.zip'), join(root, 'x-zip')), extractTar(join(root, 'BAG-A.tar'), join(root, 'x-tar'))]) {
      const report = await checkBag(bag);
      expect(report.errors).toEqual([]);
      expect(report.payload).toEqual({ bytes, files: 5 });
      expect(report.info).toEqual([['Source-Organization', 'Оператор'], ['External-Identifier', 'SYS-1'], ['Bag-Size', bagSize(bytes)], ['Payload-Oxum', `${bytes}.5`]]);
      for (const [path, content] of Object.entries(files)) expect(report.sha256.get(`data/${path}`)).toBe(sha(content));
      expect(readFileSync(join(bag, 'manifest-sha256.txt'), 'utf8')).toContain('  data/deposit/docs/ТЗ 100%25.txt\n');
    }
    execFileSync('unzip', ['-tq', join(root, 'BAG-A.zip')]);
  });

  it('writes ZIP64 end records when asked (packages past 4 GiB), still readable', async () => {
    const { result } = await buildBag('BAG-64', true, { 'a.bin': randomBytes(1000) });
    const zip = readFileSync(join(root, 'BAG-64.zip'));
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // zip64 end of central directory
    expect(result.payloadFiles).toBe(1);
    expect((await checkBag(await extractZip(join(root, 'BAG-64.zip'), join(root, 'x-64')))).errors).toEqual([]);
    execFileSync('unzip', ['-tq', join(root, 'BAG-64.zip')]);
  });

  it('fails when a source gives fewer bytes than announced, or content that does not match its record', async () => {
    const work = join(root, 'bad-work');
    mkdirSync(work);
    const writer = new BagWriter({ bag: 'BAG-BAD', work, tarPath: join(root, 'BAG-BAD.tar'), date: new Date(), onBytes: () => undefined });
    await writer.start();
    await expect(writer.addPayload({ path: 'x.bin', size: 10, open: () => Readable.from([Buffer.from('short')]) })).rejects.toThrow(/5 bytes, expected 10/);
    await writer.abort();
    const other = new BagWriter({ bag: 'BAG-BAD2', work: join(root, 'bad-work'), tarPath: join(root, 'BAG-BAD2.tar'), date: new Date(), onBytes: () => undefined });
    rmSync(work, { recursive: true });
    mkdirSync(work);
    await other.start();
    await expect(other.addPayload({ path: 'lfs.bin', size: 3, open: () => Readable.from([Buffer.from('abc')]), expectSha256: sha('abd') })).rejects.toThrow(/record says/);
    await other.abort();
    await expect(writer.addPayload({ path: '../escape', size: 1, open: () => Readable.from([Buffer.from('x')]) })).rejects.toThrow(/refusing/);
  });
});

describe('the independent validator can fail', () => {
  it('finds a changed file, an unlisted file and a wrong Payload-Oxum', async () => {
    await buildBag('BAG-T', false, { 'a.txt': Buffer.from('one'), 'b.txt': Buffer.from('two') });
    const bag = extractTar(join(root, 'BAG-T.tar'), join(root, 'x-t'));
    expect((await checkBag(bag)).errors).toEqual([]);
    writeFileSync(join(bag, 'data', 'a.txt'), 'ONE');
    writeFileSync(join(bag, 'data', 'extra.txt'), 'x');
    appendFileSync(join(bag, 'bag-info.txt'), 'Payload-Oxum: 1.1\n');
    const errors = (await checkBag(bag)).errors.join('\n');
    expect(errors).toContain('manifest-sha256.txt: data/a.txt does not match');
    expect(errors).toContain('manifest-sha512.txt: data/extra.txt is not listed');
    expect(errors).toContain('Payload-Oxum given more than once');
  });
});
