import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/**
 * An independent BagIt 1.0 validator (RFC 8493), for tests only: it shares no code with the writer
 * (server/returns/) and reads the bag as any receiver would — from the files of an extracted
 * serialization. `checkBag` says whether the bag is complete and valid and why not.
 */
export interface BagReport {
  errors: string[];
  /** bag-info.txt elements in order (labels as written; repeated labels repeat). */
  info: [string, string][];
  payload: { bytes: number; files: number };
  /** Payload paths (relative to the bag, `data/…`) with their SHA-256. */
  sha256: Map<string, string>;
}

const ALGS: Record<string, string> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' };

function hashFile(path: string, alg: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash(alg);
    createReadStream(path).on('data', (c) => h.update(c)).on('error', rej).on('end', () => res(h.digest('hex')));
  });
}

/** Every regular file under `dir`, as paths relative to `base` with `/` separators; symlinks are errors. */
function walk(dir: string, base: string, errors: string[], out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    const rel = p.slice(base.length + 1).split(sep).join('/');
    if (st.isSymbolicLink()) errors.push(`${rel}: a symbolic link in the bag`);
    else if (st.isDirectory()) walk(p, base, errors, out);
    else out.push(rel);
  }
  return out;
}

/** A manifest's lines: `checksum WSP+ path`, the path percent-decoded (only %25, %0A, %0D are encodings). */
function readManifest(file: string, errors: string[], name: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) errors.push(`${name}: begins with a byte-order mark`);
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    const m = /^([0-9a-fA-F]+)[ \t]+(.+)$/.exec(line);
    if (!m) {
      errors.push(`${name}: malformed line ${JSON.stringify(line)}`);
      continue;
    }
    const path = m[2].replace(/%(25|0A|0D)/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.' || s === '') || path.includes('\\')) errors.push(`${name}: unsafe path ${JSON.stringify(path)}`);
    if (out.has(path)) errors.push(`${name}: ${path} listed twice`);
    out.set(path, m[1].toLowerCase());
  }
  return out;
}

/** bag-info.txt: `Label: value` lines; a line starting with whitespace continues the previous value. */
function readInfo(file: string, errors: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const line of readFileSync(file, 'utf8').split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && out.length) {
      out[out.length - 1][1] += ' ' + line.trim();
      continue;
    }
    const m = /^([^:\s][^:]*?):[ \t](.*)$/.exec(line);
    if (!m) errors.push(`bag-info.txt: malformed line ${JSON.stringify(line)}`);
    else out.push([m[1], m[2]]);
  }
  return out;
}

export async function checkBag(bag: string): Promise<BagReport> {
  const errors: string[] = [];
  const report: BagReport = { errors, info: [], payload: { bytes: 0, files: 0 }, sha256: new Map() };
  const top = readdirSync(bag);
  const declaration = top.includes('bagit.txt') ? readFileSync(join(bag, 'bagit.txt')) : null;
  if (!declaration) errors.push('bagit.txt missing');
  else if (!/^BagIt-Version: 1\.0\r?\nTag-File-Character-Encoding: UTF-8\r?\n?$/.test(declaration.toString('utf8'))) {
    errors.push(`bagit.txt: unexpected ${JSON.stringify(declaration.toString('utf8'))}`);
  }
  if (!top.includes('data') || !lstatSync(join(bag, 'data')).isDirectory()) {
    errors.push('data/ missing');
    return report;
  }
  const payload = walk(join(bag, 'data'), bag, errors);
  for (const f of payload) report.payload.bytes += lstatSync(join(bag, f)).size;
  report.payload.files = payload.length;

  const manifests = top.filter((f) => /^manifest-[a-z0-9]+\.txt$/.test(f));
  if (!manifests.length) errors.push('no payload manifest');
  for (const name of manifests) {
    const alg = ALGS[name.slice('manifest-'.length, -'.txt'.length)];
    if (!alg) {
      errors.push(`${name}: unknown algorithm`);
      continue;
    }
    const listed = readManifest(join(bag, name), errors, name);
    for (const f of payload) if (!listed.has(f)) errors.push(`${name}: ${f} is not listed`);
    for (const [path, sum] of listed) {
      if (!path.startsWith('data/')) errors.push(`${name}: ${path} is outside data/`);
      else if (!payload.includes(path)) errors.push(`${name}: ${path} is missing`);
      else if ((await hashFile(join(bag, path), alg)) !== sum) errors.push(`${name}: ${path} does not match`);
      else if (alg === 'sha256') report.sha256.set(path, sum);
    }
  }

  for (const name of top.filter((f) => /^tagmanifest-[a-z0-9]+\.txt$/.test(f))) {
    const alg = ALGS[name.slice('tagmanifest-'.length, -'.txt'.length)];
    const listed = readManifest(join(bag, name), errors, name);
    for (const m of manifests) if (!listed.has(m)) errors.push(`${name}: does not list ${m}`);
    for (const [path, sum] of listed) {
      if (path.startsWith('data/')) errors.push(`${name}: lists payload file ${path}`);
      else if (!top.includes(path.split('/')[0])) errors.push(`${name}: ${path} is missing`);
      else if (!alg || (await hashFile(join(bag, path), alg)) !== sum) errors.push(`${name}: ${path} does not match`);
    }
  }

  if (top.includes('bag-info.txt')) {
    report.info = readInfo(join(bag, 'bag-info.txt'), errors);
    const oxum = report.info.filter(([l]) => l.toLowerCase() === 'payload-oxum');
    if (oxum.length > 1) errors.push('Payload-Oxum given more than once');
    if (oxum.length === 1 && oxum[0][1] !== `${report.payload.bytes}.${report.payload.files}`) errors.push(`Payload-Oxum ${oxum[0][1]} but the payload is ${report.payload.bytes}.${report.payload.files}`);
  }
  return report;
}

/** The one folder a serialization unpacks to (RFC 8493 practice: a single base directory). */
export function onlyFolder(dir: string): string {
  const entries = readdirSync(dir);
  if (entries.length !== 1 || !lstatSync(join(dir, entries[0])).isDirectory()) throw new Error(`expected one top-level folder, found ${entries.join(', ')}`);
  return join(dir, entries[0]);
}

/** Unpacks a tar with the system's tar (as a receiver would). */
export function extractTar(file: string, dest: string): string {
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xf', file, '-C', dest]);
  return onlyFolder(dest);
}

/** Unpacks a zip with yauzl, refusing names that would leave `dest`. */
export async function extractZip(file: string, dest: string): Promise<string> {
  mkdirSync(dest, { recursive: true });
  const zip = await new Promise<yauzl.ZipFile>((res, rej) => yauzl.open(file, { lazyEntries: true, strictFileNames: true }, (err, z) => (err ? rej(err) : res(z!))));
  await new Promise<void>((res, rej) => {
    zip.on('error', rej);
    zip.on('end', () => res());
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = resolve(dest, entry.fileName);
      if (!target.startsWith(resolve(dest) + sep)) return rej(new Error(`zip entry leaves the folder: ${entry.fileName}`));
      if (entry.fileName.endsWith('/')) {
        mkdirSync(target, { recursive: true });
        return zip.readEntry();
      }
      mkdirSync(dirname(target), { recursive: true });
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return rej(err);
        pipeline(stream, createWriteStream(target)).then(() => zip.readEntry(), rej);
      });
    });
    zip.readEntry();
  });
  return onlyFolder(dest);
}
