import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../server/deps.js';
import { BlobStreams, walkTree } from '../../server/git/tree-export.js';
import { BagWriter } from '../../server/returns/bag-writer.js';
import { addDepositTree, type DepositNote } from '../../server/returns/deposit-tree.js';
import { LocalBlobStore } from '../../storage/blobs.js';
import { checkBag, extractTar } from '../helpers/bagit-check.js';

/**
 * A deposit tree with every kind of entry a plain folder cannot hold as it is (a backslash, a line
 * break and invalid UTF-8 in names, a symlink, a submodule, an LFS object the store lacks) goes into
 * a bag that still validates, with each oddity accounted for in the notes.
 */
const root = mkdtempSync(join(tmpdir(), 'qoima-tree-'));
const work = join(root, 'wt');
const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: work, env, encoding: 'utf8' }).trim();
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const blobs = new LocalBlobStore(join(root, 'blobs'));
const big = randomBytes(3 * 1024 * 1024 + 17);
const lfsObject = randomBytes(40_000);
let commit = '';

beforeAll(async () => {
  mkdirSync(work);
  git('init', '-q', '-b', 'main');
  const stored = await blobs.write(Readable.from([lfsObject]));
  const pointer = (oid: string, size: number) => `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
  mkdirSync(join(work, 'installers'));
  writeFileSync(join(work, 'installers/setup.bin'), pointer(stored.oid, stored.size));
  writeFileSync(join(work, 'installers/lost.bin'), pointer('a'.repeat(64), 123));
  writeFileSync(join(work, 'big.bin'), big);
  writeFileSync(join(work, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(work, 'run.sh'), 0o755);
  writeFileSync(join(work, 'dir\\file.txt'), 'backslash\n');
  writeFileSync(join(work, 'line\nbreak.txt'), 'newline\n');
  writeFileSync(Buffer.concat([Buffer.from(work + '/'), Buffer.from('latin\u00e9.txt', 'latin1')]), 'latin-1 name\n'); // not UTF-8
  symlinkSync('run.sh', join(work, 'link'));
  git('add', '-A');
  git('update-index', '--add', '--cacheinfo', `160000,${'b'.repeat(40)},vendor/sub`);
  git('commit', '-q', '-m', 'odd tree');
  commit = git('rev-parse', 'HEAD');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('reading a commit tree out of git', () => {
  it('lists every entry with its raw path, and streams blobs of any size through one cat-file', async () => {
    const entries = [];
    for await (const e of walkTree(root, join(work, '.git'), commit)) entries.push(e);
    expect(entries.find((e) => e.path === 'vendor/sub')).toMatchObject({ type: 'commit', mode: '160000' });
    expect(entries.find((e) => e.path === null)?.rawPath.toString('latin1')).toBe('latin\u00e9.txt');
    const streams = new BlobStreams(root, join(work, '.git'));
    try {
      for (const e of entries.filter((x) => x.type === 'blob')) {
        const { size, stream } = await streams.open(e.oid);
        const parts: Buffer[] = [];
        for await (const c of stream) parts.push(c as Buffer);
        expect(Buffer.concat(parts).length).toBe(size);
        if (e.path === 'big.bin') expect(sha(Buffer.concat(parts))).toBe(sha(big));
      }
      await expect(streams.open('c'.repeat(40))).rejects.toThrow(/missing/);
    } finally {
      streams.close();
    }
    await expect(async () => {
      for await (const _ of walkTree(root, join(work, '.git'), 'not-a-commit')) void _;
    }).rejects.toThrow(/not a commit/);
  });

  it('writes the tree into a valid bag, with LFS objects materialized and every oddity in the notes', async () => {
    mkdirSync(join(root, 'bagwork'));
    const writer = new BagWriter({ bag: 'ODD', work: join(root, 'bagwork'), tarPath: join(root, 'odd.tar'), date: new Date(), onBytes: () => undefined });
    await writer.start();
    const notes: DepositNote[] = [];
    const streams = new BlobStreams(root, join(work, '.git'));
    let files = 0;
    try {
      await addDepositTree({ config: { dataDir: root }, blobs } as unknown as AppDeps, { writer, blobs: streams, repo: join(work, '.git'), commit, version: 1, folder: 'deposit', notes, onFile: () => files++ });
    } finally {
      streams.close();
    }
    await writer.finish([]);
    const bag = extractTar(join(root, 'odd.tar'), join(root, 'x'));
    expect((await checkBag(bag)).errors).toEqual([]);
    expect(files).toBe(9);
    expect(sha(readFileSync(join(bag, 'data/deposit/installers/setup.bin')))).toBe(sha(lfsObject));
    expect(readFileSync(join(bag, 'data/deposit/installers/lost.bin'), 'utf8')).toContain('oid sha256:aaaa');
    expect(readFileSync(join(bag, 'data/deposit/link'), 'utf8')).toBe('run.sh');
    expect(execFileSync('tar', ['-tvf', join(root, 'odd.tar')], { encoding: 'utf8' })).toMatch(/-rwxr-xr-x .* ODD\/data\/deposit\/run\.sh/);
    const byKind = (k: string) => notes.filter((n) => n.kind === k);
    expect(byKind('submodule')).toEqual([{ version: 1, path: 'vendor/sub', kind: 'submodule', oid: 'b'.repeat(40) }]);
    expect(byKind('symlink').map((n) => n.path)).toEqual(['link']);
    expect(byKind('lfs_missing').map((n) => n.path)).toEqual(['installers/lost.bin']);
    const unportable = byKind('unportable');
    expect(unportable.map((n) => n.path).sort()).toEqual(['dir\\file.txt', 'latin\ufffd.txt', 'line\nbreak.txt'].sort());
    expect(unportable.find((n) => n.pathHex)?.pathHex).toBe(Buffer.from('latin\u00e9.txt', 'latin1').toString('hex'));
    for (const n of unportable) expect(n.storedAs).toMatch(/^data\/unportable\/v1-\d$/);
    expect(readFileSync(join(bag, unportable.find((n) => n.path === 'dir\\file.txt')!.storedAs!), 'utf8')).toBe('backslash\n');
  });
});
