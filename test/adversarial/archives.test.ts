import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { formedSystem, raw, type TestSystem } from '../helpers/git.js';

// The adversarial suite, archives (issue 13 §2): zip/tar bombs and entries that would escape their
// folder, uploaded through the real API. The inventory reads them from their headers and streams —
// nothing is extracted, nothing inflates without bound, the server's memory stays flat — and names
// what it found.
let t: TestApp;
let sys: TestSystem;

beforeAll(async () => {
  t = await startTestApp();
  sys = await formedSystem(t);
});
afterAll(async () => {
  await t?.stop();
});

interface ZipEntry {
  name: string;
  /** The bytes as stored (deflated when `method` is 8). */
  data: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
  /** Unix mode in the high 16 bits of the external attributes (made by Unix, version 3.0). */
  mode?: number;
  /** Offset of the local header this central entry points at (default: its own). */
  pointsAt?: number;
}

/** A zip written by hand (APPNOTE 4.3), so that it can say what no zip tool would write. */
function zip(locals: ZipEntry[], central: ZipEntry[] = locals): Buffer {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const e of locals) {
    const name = Buffer.from(e.name);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x800, 6);
    h.writeUInt16LE(e.method, 8);
    h.writeUInt32LE(e.crc >>> 0, 14);
    h.writeUInt32LE(e.data.length, 18);
    h.writeUInt32LE(e.size, 22);
    h.writeUInt16LE(name.length, 26);
    offsets.push(offset);
    parts.push(h, name, e.data);
    offset += h.length + name.length + e.data.length;
  }
  const cdStart = offset;
  for (const [i, e] of central.entries()) {
    const name = Buffer.from(e.name);
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE((3 << 8) | 20, 4);
    h.writeUInt16LE(20, 6);
    h.writeUInt16LE(0x800, 8);
    h.writeUInt16LE(e.method, 10);
    h.writeUInt32LE(e.crc >>> 0, 16);
    h.writeUInt32LE(e.data.length, 20);
    h.writeUInt32LE(e.size, 24);
    h.writeUInt16LE(name.length, 28);
    h.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    h.writeUInt32LE(e.pointsAt ?? offsets[i], 42);
    parts.push(h, name);
    offset += h.length + name.length;
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length, 8);
  end.writeUInt16LE(central.length, 10);
  end.writeUInt32LE(offset - cdStart, 12);
  end.writeUInt32LE(cdStart, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

const stored = (name: string, text: string, mode?: number): ZipEntry => {
  const data = Buffer.from(text);
  return { name, data, method: 0, crc: crc32(data), size: data.length, mode };
};

async function tar(entries: { header: Partial<tarStream.Header> & { name: string }; body?: string }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    if (e.body === undefined) pack.entry(e.header as tarStream.Header);
    else pack.entry(e.header as tarStream.Header, e.body);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function put(path: string, body: Buffer) {
  const r = await raw(t.url, 'PUT', `/api/v1/systems/${sys.code}/files/${path}`, { headers: { Authorization: `Bearer ${sys.owner.token}`, 'Content-Type': 'application/octet-stream' }, body });
  expect(r.status, r.body.toString()).toBe(201);
}

/** The server runs in this process: its resident memory, sampled while `fn` runs. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const value = await fn();
    return { value, growthMb: (Math.max(peak, process.memoryUsage().rss) - base) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

describe('archive bombs and unsafe entries in a deposit', () => {
  it('the inventory names them without extracting, inflates nothing without bound, and memory stays flat', async () => {
    // 1. overlapping-entry zip bomb: 2 000 central entries all pointing at one 8 MB deflated entry (16 GB declared, ~20 KB sent)
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    const bombEntry: ZipEntry = { name: 'z.bin', data: deflateRawSync(zeros, { level: 9 }), method: 8, crc: crc32(zeros), size: zeros.length };
    const overlapping = zip([bombEntry], Array.from({ length: 2000 }, (_, i) => ({ ...bombEntry, name: `z-${i}.bin`, pointsAt: 0 })));
    // 2. one entry at deflate's ratio limit: 64 MB from ~64 KB (above the 64 MB floor once the header is counted)
    const big = Buffer.alloc(64 * 1024 * 1024 + 1);
    const ratio = zip([{ name: 'big.bin', data: deflateRawSync(big, { level: 9 }), method: 8, crc: crc32(big), size: big.length }]);
    // 3. ZipSlip names and a symbolic link
    const slip = zip([stored('../../escape-zip.txt', 'x'), stored('/etc/cron.d/evil', 'x'), stored('ok/link', '/etc/passwd', 0o120777), stored('ok/fine.txt', 'fine')]);
    // 4. a tar with a symlink, a hard link and a `../` name; 5. a .tar.gz that inflates to 128 MB of zeros
    const links = await tar([
      { header: { name: 'link', type: 'symlink', linkname: '/etc/shadow' } },
      { header: { name: 'hard', type: 'link', linkname: '../../outside' } },
      { header: { name: '../escape-tar.txt', type: 'file' }, body: 'x' },
      { header: { name: 'fine.txt', type: 'file' }, body: 'fine' },
    ]);
    const tgzBomb = gzipSync(Buffer.alloc(128 * 1024 * 1024), { level: 1 });
    expect(overlapping.length + ratio.length + slip.length + links.length + tgzBomb.length).toBeLessThan(2 * 1024 * 1024);

    await put('installers/overlap.zip', overlapping);
    await put('installers/ratio.zip', ratio);
    await put('additional/slip.zip', slip);
    await put('additional/links.tar', links);
    await put('database/dump.tar.gz', tgzBomb);

    const started = Date.now();
    const { value: r, growthMb } = await peakRss(() => raw(t.url, 'GET', `/api/v1/systems/${sys.code}/inventory`, { headers: { Authorization: `Bearer ${sys.owner.token}` } }));
    const seconds = (Date.now() - started) / 1000;
    expect(r.status, r.body.toString().slice(0, 300)).toBe(200);
    const inv = JSON.parse(r.body.toString()) as { findings: { code: string; path: string; message: string }[] };
    const about = (path: string) => inv.findings.filter((f) => f.path === path).map((f) => f.code).sort();
    console.log(`archives: inventory of 5 hostile archives in ${seconds.toFixed(1)} s, server RSS growth ${growthMb.toFixed(0)} MB`);

    expect(about('installers/overlap.zip')).toEqual(['archive_unverified']);
    expect(inv.findings.find((f) => f.path === 'installers/overlap.zip')!.message).toMatch(/bomb/);
    expect(about('installers/ratio.zip')).toEqual(['archive_unverified']);
    expect(about('database/dump.tar.gz')).toEqual(['archive_unverified']);
    expect(about('additional/slip.zip')).toEqual(['archive_unsafe_entries']);
    const slipMessage = inv.findings.find((f) => f.path === 'additional/slip.zip')!.message;
    for (const s of ['../../escape-zip.txt', '/etc/cron.d/evil', 'ok/link', 'symbolic link']) expect(slipMessage).toContain(s);
    expect(slipMessage).not.toContain('fine.txt');
    expect(about('additional/links.tar')).toEqual(['archive_unsafe_entries']);
    const tarMessage = inv.findings.find((f) => f.path === 'additional/links.tar')!.message;
    for (const s of ['/etc/shadow', 'hard link', '../escape-tar.txt']) expect(tarMessage).toContain(s);

    // bounded: no 16 GB inflated, no 128 MB buffered
    expect(seconds).toBeLessThan(20);
    expect(growthMb).toBeLessThan(150);
    // nothing extracted anywhere near the data folder
    for (const dir of [t.dataDir, dirname(t.dataDir), join(t.dataDir, 'blobs')]) {
      expect(readdirSync(dir).filter((f) => /escape|evil|shadow|outside/.test(f))).toEqual([]);
    }
    expect(existsSync('/etc/cron.d/evil')).toBe(false);

    // the verdicts are cached by content: a second inventory reads nothing again and says the same
    const again = JSON.parse((await raw(t.url, 'GET', `/api/v1/systems/${sys.code}/inventory`, { headers: { Authorization: `Bearer ${sys.owner.token}` } })).body.toString()) as typeof inv;
    expect(again.findings.map((f) => `${f.code} ${f.path}`).sort()).toEqual(inv.findings.map((f) => `${f.code} ${f.path}`).sort());
    expect((await raw(t.url, 'GET', '/healthz')).status).toBe(200);
  });
});
