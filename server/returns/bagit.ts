/**
 * BagIt 1.0 (RFC 8493): the tag files of a bag, as pure functions. The writer (package-writer.ts)
 * streams the payload and uses these for what is written around it.
 *
 *   <bag>/bagit.txt                     the declaration (§2.1.1)
 *   <bag>/data/…                        the payload (§2.1.2)
 *   <bag>/manifest-sha256.txt, -sha512  every payload file with its checksum (§2.1.3)
 *   <bag>/bag-info.txt                  metadata, incl. Payload-Oxum (§2.2.2)
 *   <bag>/tagmanifest-sha256.txt, -512  every other tag file with its checksum (§2.2.1)
 */

/** §2.1.1: exactly two lines, UTF-8 without a byte-order mark. */
export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';

/** §2.4: SHA-256 and SHA-512 must be supported by every tool (and SHA-512 is the recommended default). */
export const ALGORITHMS = ['sha256', 'sha512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export type Digests = Record<Algorithm, string>;

/**
 * §2.1.3: in a manifest's file path, a CR, an LF and the percent sign itself — and only those — are
 * percent-encoded; the slash is the separator, every other character is written as it is.
 */
export function encodeManifestPath(path: string): string {
  return path.replace(/[%\r\n]/g, (c) => (c === '%' ? '%25' : c === '\r' ? '%0D' : '%0A'));
}

/** One manifest line: `checksum  path` (lower-case hex, two spaces, as sha256sum writes it). */
export function manifestLine(checksum: string, path: string): string {
  return `${checksum}  ${encodeManifestPath(path)}\n`;
}

/** §2.2.2 Payload-Oxum: `OctetCount.StreamCount` of the payload. */
export function payloadOxum(bytes: number, files: number): string {
  return `${bytes}.${files}`;
}

/** §2.2.2 Bag-Size: for people, with a unit (`2.1 GB`, `340.5 MB`, `12 KB`). */
export function bagSize(bytes: number): string {
  const units: [number, string][] = [
    [1e12, 'TB'],
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'KB'],
  ];
  for (const [size, unit] of units) if (bytes >= size) return `${(bytes / size).toFixed(1)} ${unit}`;
  return `${bytes} B`;
}

/**
 * bag-info.txt: one `Label: value` line per element, in the order given (§2.2.2: order is kept;
 * elements may repeat). A value never spans lines: line breaks in it become spaces.
 */
export function bagInfo(elements: [string, string | null | undefined][]): string {
  return elements
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '')
    .map(([label, value]) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(label)) throw new Error(`bag-info: bad label ${label}`);
      return `${label}: ${value.replace(/[\r\n]+/g, ' ').trim()}\n`;
    })
    .join('');
}

/** The bag's base directory (and, with an extension, its serialization's file name). */
export function bagName(systemCode: string, date: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(systemCode) || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error('bagName: bad input');
  return `${systemCode}_return_${date.replace(/-/g, '')}`;
}

/**
 * Whether a deposit path may be written into the bag as `data/deposit/<path>` unchanged: relative,
 * no empty, `.` or `..` segment, no backslash (archivers read it as a separator), no control
 * characters (a CR or LF would need encoding in every manifest and breaks many tools), and not
 * absurdly long. A path that fails is still returned — under `data/unportable/` with its real name
 * in the records — never written as given. (The archiver's own clean-up of names, which turns
 * `a/../../x` into `a/x` without a word, is thus never relied on.)
 */
export function isPortablePath(path: string | null): path is string {
  if (!path || path.length > 4096 || path.startsWith('/')) return false;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\\\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Joins our own, already checked, parts into an entry name; anything else is a bug, not input. */
export function entryName(bag: string, ...parts: string[]): string {
  const name = [bag, ...parts].join('/');
  if (!isPortablePath(name) || /^\w+:/.test(name)) throw new Error(`refusing an archive entry name: ${JSON.stringify(name)}`);
  return name;
}
