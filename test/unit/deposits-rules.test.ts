import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import yazl from 'yazl';
import { describe, expect, it } from 'vitest';
import { sniff } from '../../server/git/digests.js';
import { checkArchive } from '../../server/deposits/archives.js';
import { judgeBuildDescription } from '../../server/deposits/build-md.js';
import { categoryOf, extensionOf, fileTypeOf } from '../../server/deposits/classify.js';
import { FindingsCollector, findingOut, MAX_PER_CODE } from '../../server/deposits/findings.js';
import { countDependencies, describeManifests, isManifest, vendoredFolderOf } from '../../server/deposits/manifests.js';
import { templatesDir } from '../../server/paths.js';

const template = readFileSync(join(templatesDir, 'repository', 'BUILD.md'), 'utf8');
const filled = (values: Record<string, string>) => template.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => values[k] ?? '');

describe('BUILD.md (Rules p.5.1: the development environment and its version)', () => {
  it('recognises the template as committed, whatever the system', () => {
    expect(judgeBuildDescription(filled({ code: 'EGOV-1', name_ru: 'Система' }))).toBe('unchanged');
    expect(judgeBuildDescription(filled({ code: 'X', name_ru: 'Жүйе «Қоғам»' }).replace(/\n/g, '\r\n'))).toBe('unchanged');
  });

  it('accepts the template filled in, and names what is still missing', () => {
    const both = filled({ code: 'X', name_ru: 'Y' }).replace('<например: OpenJDK, Maven>', 'OpenJDK, Maven').replace('<например: 17.0.10, 3.9.6>', '17.0.10, 3.9.6');
    expect(judgeBuildDescription(both)).toBe('ok');
    const noVersion = filled({ code: 'X', name_ru: 'Y' }).replace('<например: OpenJDK, Maven>', 'OpenJDK, Maven');
    expect(judgeBuildDescription(noVersion)).toBe('no_version');
    const noEnv = filled({ code: 'X', name_ru: 'Y' }).replace('<например: 17.0.10, 3.9.6>', '17.0.10');
    expect(judgeBuildDescription(noEnv)).toBe('no_environment');
  });

  it('reads free-form descriptions in kk, ru and en', () => {
    expect(judgeBuildDescription('# Сборка\n\nСреда разработки: Visual Studio 2022\nВерсия: 17.8.3\n')).toBe('ok');
    expect(judgeBuildDescription('Әзірлеу ортасы: IntelliJ IDEA 2023.3, JDK 21\n')).toBe('ok');
    expect(judgeBuildDescription('Environment: Go\n')).toBe('no_version');
    expect(judgeBuildDescription('Just run make.\n')).toBe('no_environment_no_version');
    expect(judgeBuildDescription('')).toBe('no_environment_no_version');
  });
});

describe('categories and file types', () => {
  it('puts files in the six categories of Rules p.5, BUILD.md in the first', () => {
    expect(categoryOf('source/a/b.c')).toBe('source');
    expect(categoryOf('BUILD.md')).toBe('source');
    expect(categoryOf('licensed-config/app.ini')).toBe('licensed-config');
    expect(categoryOf('DEPOSIT.md')).toBe('root');
    expect(categoryOf('README.md')).toBe('other');
    expect(categoryOf('src/main.c')).toBe('other');
    expect(categoryOf('Source/x')).toBe('other');
  });

  it('types a file by its content where the content is decisive, by its name otherwise', () => {
    const head = (s: string | number[], at = 0) => {
      const b = Buffer.alloc(600);
      (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s)).copy(b, at);
      return b;
    };
    expect(sniff(head('SQLite format 3\0'))).toBe('sqlite');
    expect(sniff(head('ustar', 257))).toBe('tar');
    expect(sniff(Buffer.from('plain text'))).toBe('text');
    expect(sniff(Buffer.alloc(0))).toBe('empty');
    expect(fileTypeOf('database/prod.db', 'sqlite', 'database')).toBe('sqlite');
    expect(fileTypeOf('database/prod.backup', 'pgdump', 'database')).toBe('database_dump');
    expect(fileTypeOf('database/dump.sql', 'text', 'database')).toBe('database_dump');
    expect(fileTypeOf('source/db/migrate.sql', 'text', 'source')).toBe('source');
    expect(fileTypeOf('installers/setup.msi', 'ole', 'installers')).toBe('installer');
    expect(fileTypeOf('docs/spec.doc', 'ole', 'docs')).toBe('document');
    expect(fileTypeOf('docs/ТЗ.docx', 'zip', 'docs')).toBe('document');
    expect(fileTypeOf('installers/app.zip', 'zip', 'installers')).toBe('archive');
    expect(fileTypeOf('docs/renamed.txt', 'pdf', 'docs')).toBe('document');
    expect(fileTypeOf('installers/app-1.0.deb', 'ar', 'installers')).toBe('installer');
    expect(fileTypeOf('installers/big.iso.tar.gz', 'binary', 'installers')).toBe('archive');
    expect(fileTypeOf('source/main.go', 'text', 'source')).toBe('source');
    expect(fileTypeOf('source/link', 'text', 'source', '120000')).toBe('symlink');
    expect(extensionOf('a/b.TAR.GZ')).toBe('tar.gz');
  });
});

describe('third-party components', () => {
  it('lists manifests with their lock files and dependency counts, and counts vendored folders', () => {
    expect(isManifest('source/web/package.json')).toBe(true);
    expect(isManifest('source/node_modules/x/package.json')).toBe(false);
    expect(vendoredFolderOf('source/vendor/github.com/x/y.go')).toBe('source/vendor');
    expect(countDependencies('npm', 'package.json', '{"dependencies":{"a":"1","b":"2"},"devDependencies":{"c":"3"}}')).toBe(3);
    expect(countDependencies('npm', 'package.json', '{broken')).toBeNull();
    expect(countDependencies('maven', 'pom.xml', '<dependencies><dependency>a</dependency><dependency>b</dependency></dependencies>')).toBe(2);
    expect(countDependencies('pip', 'requirements.txt', '# c\nflask==3.0\n\n-r other.txt\nrequests\n')).toBe(2);
    expect(countDependencies('go', 'go.mod', 'module x\nrequire a v1\nrequire (\n\tb v1\n\tc v2 // indirect\n)\n')).toBe(3);
    expect(countDependencies('nuget', 'App.csproj', '<PackageReference Include="A" /><PackageReference Include="B" />')).toBe(2);
    const listed = describeManifests([{ path: 'source/package.json', content: Buffer.from('{"dependencies":{"a":"1"}}') }, { path: 'source/api/composer.json', content: null }], (p) => p === 'source/package-lock.json');
    expect(listed).toEqual([
      { path: 'source/api/composer.json', ecosystem: 'composer', dependencies: null, lockfile: null },
      { path: 'source/package.json', ecosystem: 'npm', dependencies: 1, lockfile: 'source/package-lock.json' },
    ]);
  });
});

describe('findings', () => {
  it('counts every finding but lists at most MAX_PER_CODE of a kind, errors first; messages in kk/ru/en', () => {
    const c = new FindingsCollector();
    for (let i = 0; i < MAX_PER_CODE + 7; i++) c.add('empty_file', `installers/${i}.bin`);
    c.add('docs_empty', 'docs/');
    const { findings, errorCount, warningCount } = c.result();
    expect(errorCount).toBe(1);
    expect(warningCount).toBe(MAX_PER_CODE + 7);
    expect(findings[0].code).toBe('docs_empty');
    expect(findings.filter((f) => f.code === 'empty_file')).toHaveLength(MAX_PER_CODE);
    const more = findings.find((f) => f.code === 'truncated')!;
    expect(more.params).toEqual({ code: 'empty_file', count: 7 });
    const out = findingOut('kk', findings.find((f) => f.code === 'empty_file')!);
    expect(out.messages.ru).toMatch(/^installers\/\d+\.bin: пустой файл/);
    expect(out.messages.kk).toMatch(/бос файл/);
    expect(out.message).toBe(out.messages.kk);
  });
});

async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) zip.addBuffer(Buffer.from(content), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A minimal 7z container: the signature header and an end header with correct CRCs. */
function sevenZip(endHeader: Buffer): Buffer {
  const start = Buffer.alloc(32);
  Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]).copy(start);
  start.writeBigUInt64LE(0n, 12);
  start.writeBigUInt64LE(BigInt(endHeader.length), 20);
  start.writeUInt32LE(crc32(endHeader) >>> 0, 28);
  start.writeUInt32LE(crc32(start.subarray(12, 32)) >>> 0, 8);
  return Buffer.concat([start, endHeader]);
}

describe('archive integrity', () => {
  it('passes a good zip, fails a flipped byte or a truncation, reports encryption', async () => {
    const good = await zipOf({ 'a.txt': 'абв '.repeat(300), 'b.txt': 'x' });
    expect(await checkArchive('zip', { buffer: good })).toMatchObject({ result: 'ok', entries: 2 });
    const flipped = Buffer.from(good);
    flipped[50] ^= 0x55;
    expect((await checkArchive('zip', { buffer: flipped })).result).toBe('corrupt');
    expect((await checkArchive('zip', { buffer: good.subarray(0, good.length - 30) })).result).toBe('corrupt');
    const locked = Buffer.from(good);
    for (let i = 0; i + 4 <= locked.length; i++) if (locked.readUInt32LE(i) === 0x02014b50) locked.writeUInt16LE(locked.readUInt16LE(i + 8) | 1, i + 8);
    expect(await checkArchive('zip', { buffer: locked })).toMatchObject({ result: 'encrypted' });
  });

  it('checks a 7z container by its header CRCs and sees an AES coder', async () => {
    const plain = sevenZip(Buffer.from([0x01, 0x04, 0x06, 0x00]));
    expect((await checkArchive('7z', { buffer: plain })).result).toBe('ok');
    const bad = Buffer.from(plain);
    bad[33] ^= 1;
    expect(await checkArchive('7z', { buffer: bad })).toMatchObject({ result: 'corrupt', detail: 'end header CRC mismatch' });
    expect((await checkArchive('7z', { buffer: plain.subarray(0, 34) })).result).toBe('corrupt');
    const aes = sevenZip(Buffer.from([0x17, 0x06, 0x0b, 0x01, 0x24, 0x06, 0xf1, 0x07, 0x01, 0x00]));
    expect((await checkArchive('7z', { buffer: aes })).result).toBe('encrypted');
  });
});
