/**
 * Third-party code used in the project (Rules p.5.1: "code written by the developers and third-party
 * code"): the dependency manifests found in the deposit, each with its ecosystem, its lock file and
 * the number of direct dependencies it declares. Vendored copies (node_modules/, vendor/) are counted
 * as folders, not listed manifest by manifest.
 */
export type Ecosystem = 'npm' | 'maven' | 'gradle' | 'pip' | 'go' | 'nuget' | 'composer';

export interface Manifest {
  path: string;
  ecosystem: Ecosystem;
  /** Direct dependencies declared, when the manifest could be read. */
  dependencies: number | null;
  /** The lock file beside it (package-lock.json, go.sum, composer.lock …), if any. */
  lockfile: string | null;
}

const MANIFESTS: { test: (name: string) => boolean; ecosystem: Ecosystem; locks: string[] }[] = [
  { test: (n) => n === 'package.json', ecosystem: 'npm', locks: ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml'] },
  { test: (n) => n === 'pom.xml', ecosystem: 'maven', locks: [] },
  { test: (n) => n === 'build.gradle' || n === 'build.gradle.kts', ecosystem: 'gradle', locks: ['gradle.lockfile'] },
  { test: (n) => n === 'requirements.txt' || n === 'pipfile' || n === 'pyproject.toml', ecosystem: 'pip', locks: ['Pipfile.lock', 'poetry.lock', 'uv.lock'] },
  { test: (n) => n === 'go.mod', ecosystem: 'go', locks: ['go.sum'] },
  { test: (n) => n.endsWith('.csproj') || n.endsWith('.vbproj') || n.endsWith('.fsproj'), ecosystem: 'nuget', locks: ['packages.lock.json'] },
  { test: (n) => n === 'composer.json', ecosystem: 'composer', locks: ['composer.lock'] },
];

/** Folders that hold vendored third-party code. */
const VENDORED = /(^|\/)(node_modules|vendor|bower_components|third[_-]party|3rdparty)\//i;
/** A cheap test first: this runs for every file of a commit. */
const MAYBE_VENDORED = /node_modules|vendor|bower|party/i;

const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const MANIFEST_NAMES = new Set(['package.json', 'pom.xml', 'build.gradle', 'build.gradle.kts', 'requirements.txt', 'pipfile', 'pyproject.toml', 'go.mod', 'composer.json']);
const LOCK_NAMES = new Set(MANIFESTS.flatMap((m) => m.locks));

/** Whether a path is a manifest the inventory should read (outside vendored folders). */
export function isManifest(path: string): boolean {
  const name = nameOf(path).toLowerCase();
  if (!MANIFEST_NAMES.has(name) && !name.endsWith('proj')) return false;
  if (vendoredFolderOf(path) !== null) return false;
  return MANIFESTS.some((m) => m.test(name));
}

/** The vendored folder a path lies in (its first such folder), or null. */
export function vendoredFolderOf(path: string): string | null {
  if (!MAYBE_VENDORED.test(path)) return null;
  const m = VENDORED.exec(path);
  return m ? path.slice(0, m.index + m[0].length - 1) : null;
}

/** Direct dependencies a manifest declares (null when it cannot be read). */
export function countDependencies(ecosystem: Ecosystem, name: string, text: string): number | null {
  try {
    switch (ecosystem) {
      case 'npm': {
        const json = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
        return ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'].reduce((n, k) => n + Object.keys(json[k] ?? {}).length, 0);
      }
      case 'composer': {
        const json = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
        return Object.keys(json.require ?? {}).length + Object.keys(json['require-dev'] ?? {}).length;
      }
      case 'maven':
        return (text.match(/<dependency>/g) ?? []).length;
      case 'gradle':
        return (text.match(/^\s*(implementation|api|compileOnly|runtimeOnly|testImplementation|compile|kapt|annotationProcessor)\b/gm) ?? []).length;
      case 'pip':
        if (name.toLowerCase() !== 'requirements.txt') return null;
        return text.split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#') && !l.trim().startsWith('-')).length;
      case 'go': {
        const block = [...text.matchAll(/^require\s*\(([\s\S]*?)\)/gm)].reduce((n, m) => n + m[1].split('\n').filter((l) => l.trim() && !l.trim().startsWith('//')).length, 0);
        return block + (text.match(/^require\s+[^\s(]/gm) ?? []).length;
      }
      case 'nuget':
        return (text.match(/<PackageReference\b/g) ?? []).length;
    }
  } catch {
    return null;
  }
}

/**
 * The third-party section from the manifests' contents and the set of all paths (for lock files).
 * `hasPath` answers whether a path exists in the commit.
 */
export function describeManifests(found: { path: string; content: Buffer | null }[], hasPath: (path: string) => boolean): Manifest[] {
  const out: Manifest[] = [];
  for (const f of found) {
    const name = nameOf(f.path);
    const kind = MANIFESTS.find((m) => m.test(name.toLowerCase()));
    if (!kind) continue;
    const dir = f.path.slice(0, f.path.length - name.length);
    const lockfile = kind.locks.map((l) => dir + l).find(hasPath) ?? null;
    const dependencies = f.content ? countDependencies(kind.ecosystem, name, f.content.toString('utf8')) : null;
    out.push({ path: f.path, ecosystem: kind.ecosystem, dependencies, lockfile });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Lock files are looked up by name beside their manifest. */
export function isLockfile(path: string): boolean {
  return LOCK_NAMES.has(nameOf(path));
}
