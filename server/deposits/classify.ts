import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Magic } from '../git/digests.js';
import { templatesDir } from '../paths.js';
import { CATEGORIES, type Category } from '../uploads/paths.js';

/**
 * Where a file of a deposit belongs and what kind of file it is: pure rules over its path and its
 * first bytes (magic numbers), no I/O beyond reading the repository skeleton once.
 */

/** The six categories of Rules p.5, in the order of the Rules. */
export const CATEGORY_KEYS = Object.keys(CATEGORIES) as Category[];
/** `root`: the skeleton's own files (DEPOSIT.md, .gitattributes); `other`: outside the six categories. */
export type FileCategory = Category | 'root' | 'other';

/** BUILD.md is the description of the compilation process: part of category 1 (Rules p.5.1). */
export const BUILD_FILE = 'BUILD.md';
const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORY_KEYS);
const ROOT_FILES = new Set(['DEPOSIT.md', '.gitattributes', '.gitignore', '.lfsconfig']);

export function categoryOf(path: string): FileCategory {
  if (path === BUILD_FILE) return 'source';
  const slash = path.indexOf('/');
  if (slash < 0) return ROOT_FILES.has(path) ? 'root' : 'other';
  const top = path.slice(0, slash);
  return CATEGORY_SET.has(top) ? (top as Category) : 'other';
}

export const FILE_TYPES = ['source', 'document', 'archive', 'installer', 'database_dump', 'sqlite', 'text', 'binary', 'symlink', 'submodule'] as const;
export type FileType = (typeof FILE_TYPES)[number];

const SOURCE_EXT = new Set(
  'c h cc cpp cxx hpp hh cs vb fs java kt kts scala groovy go rs py pyw rb php pl pm js mjs cjs jsx ts tsx vue svelte swift m mm dart lua r sh bash ps1 bat cmd sql plsql pks pkb xml xsd xsl xslt wsdl json yaml yml toml ini properties gradle cmake mk make proto graphql html htm css scss sass less jsp aspx cshtml razor erb ejs eta hbs twig asm s f f90 pas dpr dfm cob cbl abap bsl os 1c'.split(' '),
);
const DOCUMENT_EXT = new Set('pdf doc docx xls xlsx ppt pptx odt ods odp rtf md markdown rst adoc txt vsd vsdx'.split(' '));
const INSTALLER_EXT = new Set('msi msix appx exe deb rpm dmg pkg apk aab appimage snap flatpak run'.split(' '));
const DUMP_EXT = new Set('dump dmp bak backup mdf ldf ndf fdb gdb bacpac dacpac'.split(' '));
const ARCHIVE_EXT = new Set('zip jar war ear tar tgz gz bz2 xz 7z rar cab nupkg whl'.split(' '));
const ZIP_DOCUMENT_EXT = new Set('docx xlsx pptx odt ods odp vsdx'.split(' '));

/** The lower-case extension, with `.tar.gz` style double extensions kept whole. */
export function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < path.lastIndexOf('/')) return '';
  const ext = path.slice(dot + 1).toLowerCase();
  if (!/^[a-z0-9]+$/.test(ext)) return '';
  if (ext === 'gz' || ext === 'bz2' || ext === 'xz') {
    const before = path.slice(Math.max(0, dot - 4), dot).toLowerCase();
    if (before === '.tar') return `tar.${ext}`;
    if (before === '.sql' && ext === 'gz') return 'sql.gz';
  }
  return ext;
}

/** The kind of a file by extension and magic numbers (the content wins where it is decisive). */
export function fileTypeOf(path: string, magic: Magic, category: FileCategory, mode = '100644'): FileType {
  if (mode === '160000') return 'submodule';
  if (mode === '120000') return 'symlink';
  const ext = extensionOf(path);
  switch (magic) {
    case 'sqlite':
      return 'sqlite';
    case 'pgdump':
      return 'database_dump';
    case 'pdf':
      return 'document';
    case 'zip':
      if (ZIP_DOCUMENT_EXT.has(ext)) return 'document';
      return ext === 'msix' || ext === 'appx' || ext === 'apk' || ext === 'aab' ? 'installer' : 'archive';
    case 'ole':
      return ext === 'msi' ? 'installer' : 'document';
    case 'pe':
      return ext === 'dll' || ext === 'sys' ? 'binary' : 'installer';
    case 'ar':
    case 'rpm':
      return 'installer';
    case 'gzip':
      return ext === 'sql.gz' || (category === 'database' && ext === 'gz') ? 'database_dump' : 'archive';
    case 'tar':
    case '7z':
    case 'rar':
    case 'bzip2':
    case 'xz':
    case 'cab':
      return 'archive';
    case 'elf':
      return 'binary';
    default:
      break;
  }
  // The content said nothing decisive (text, unknown binary, or an LFS object not at hand): the name decides.
  if (ext === 'sql') return category === 'database' ? 'database_dump' : 'source';
  if (INSTALLER_EXT.has(ext)) return 'installer';
  if (DUMP_EXT.has(ext)) return 'database_dump';
  if (ext === 'sqlite' || ext === 'sqlite3' || ext === 'db') return 'sqlite';
  if (ARCHIVE_EXT.has(ext) || ext.startsWith('tar.')) return 'archive';
  if (DOCUMENT_EXT.has(ext)) return 'document';
  if (SOURCE_EXT.has(ext)) return 'source';
  return magic === 'binary' ? 'binary' : 'text';
}

/** Archive formats whose integrity the inventory tests (by content, whatever the name). */
export type ArchiveFormat = 'zip' | 'tar' | 'gzip' | '7z';
export function archiveFormatOf(magic: Magic): ArchiveFormat | null {
  return magic === 'zip' || magic === 'tar' || magic === 'gzip' || magic === '7z' ? magic : null;
}

// ------------------------------------------------------------------ the skeleton, to recognise it

const gitBlobOid = (content: Buffer) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

/** Git object ids of the skeleton's category READMEs: such a file alone does not make a category non-empty. */
export const SKELETON_README_OIDS: ReadonlySet<string> = new Set(
  CATEGORY_KEYS.map((c) => {
    try {
      return gitBlobOid(readFileSync(join(templatesDir, 'repository', CATEGORIES[c].folder, 'README.md')));
    } catch {
      return '';
    }
  }).filter(Boolean),
);

/** templates/repository/BUILD.md as committed when the repository was formed (placeholders unfilled). */
export const BUILD_TEMPLATE = readFileSync(join(templatesDir, 'repository', BUILD_FILE), 'utf8');
