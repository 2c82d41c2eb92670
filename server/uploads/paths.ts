import { InvalidInput } from '../errors.js';

/**
 * The deposit categories of Rules p.5, each a top-level folder of the repository (architecture.md).
 * Files in the LFS categories are stored in the blob store and committed as LFS pointers.
 */
export const CATEGORIES = {
  source: { folder: 'source', lfs: false }, // p.5.1 own and third-party code, build service files
  installers: { folder: 'installers', lfs: true }, // p.5.2 installer packages
  additional: { folder: 'additional', lfs: true }, // p.5.3 additional software chosen by the owner
  database: { folder: 'database', lfs: true }, // p.5.4 database file
  'licensed-config': { folder: 'licensed-config', lfs: false }, // p.5.5 licensed-software configuration
  docs: { folder: 'docs', lfs: false }, // p.5.6 technical documentation, incl. the approved ТЗ
} as const;
export type Category = keyof typeof CATEGORIES;

export function isCategory(value: string): value is Category {
  return Object.prototype.hasOwnProperty.call(CATEGORIES, value);
}

const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 1024;

/**
 * A file name as given by an uploader becomes a path in the tree only if it is plainly a relative
 * path: no `..` or `.`, no absolute path, no `.git` in any spelling (git would refuse or, worse, a
 * checkout on a case-insensitive disk would write into .git), no control characters or backslashes,
 * no empty segments, at most 255 bytes a segment. Returns the normalised path or throws InvalidInput.
 */
export function validateTreePath(raw: string): string {
  const fail = (key: string) => {
    throw new InvalidInput('validation_failed', {}, { path: { key: `errors.fields.${key}` } });
  };
  if (!raw || raw.normalize('NFC') !== raw.normalize('NFC').trim()) fail('path_invalid');
  const path = raw.normalize('NFC');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) fail('path_too_long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) fail('path_invalid');
  if (path.startsWith('/')) fail('path_invalid');
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') fail('path_invalid');
    // Unicode look-alikes of `.`, `..`, `/` and `\` (one-dot leader, fullwidth solidus, division slash): refused too
    const compat = segment.normalize('NFKC');
    if (compat === '.' || compat === '..' || /[/\\\u2215\u2044\u29f8]/.test(compat)) fail('path_invalid');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) fail('path_too_long');
    const folded = segment.toLowerCase().replace(/[. ]+$/, '');
    if (folded === '.git' || folded === 'git~1' || folded === '.gitmodules') fail('path_reserved');
  }
  return path;
}
