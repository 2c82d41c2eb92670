import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { almatyDate } from '../calendar/types.js';
import { depositsOfSystem, type DepositRow } from '../deposits/queries.js';
import { SYSTEM_ACTOR, type Actor, type AppDeps } from '../deps.js';
import { bundleAll, repositoryRefs, verifyBundle, type RepositoryRef } from '../git/bundle.js';
import { BlobStreams } from '../git/tree-export.js';
import { projectRoot } from '../paths.js';
import { systemById, type SystemRow } from '../systems/queries.js';
import { repoPath, withRepoLock } from '../../storage/repos.js';
import { BagWriter } from './bag-writer.js';
import type { Digests } from './bagit.js';
import { addDepositTree, type DepositNote } from './deposit-tree.js';
import * as q from './queries.js';
import { packageDir, packageFile, partFile, workDir } from './read.js';
import { writeRecords } from './records.js';
import { centralDirectoryScratch, zipFromTar } from './archives.js';
import { completeReturn, failReturn, recordZip } from './service.js';

/**
 * The return package job (Rules p.11): builds the bag, then calls the service's `completeReturn`
 * (ready → returned) or `failReturn`. It runs in the process that started it; the row records which
 * process (`host pid boot`) and a heartbeat, so that a package left `generating` by a crash is
 * recognised and marked failed at the next start (or when the operator asks again) — never resumed
 * half-written: a retry builds it afresh, which also takes any later state of the records.
 *
 * Order of the bag's payload: the bundle (made first, under the repository's lock, so its refs are a
 * consistent snapshot), the deposit tree(s), the records; then the tag files.
 */
const BOOT = randomBytes(4).toString('hex');
/** This process, as the package rows name their builder. */
export const WORKER = `${hostname()} ${process.pid} ${BOOT}`;
const running = new Map<number, Promise<void>>();

/** A package job still running in this process (tests wait for it; recovery leaves it alone). */
export const runningJob = (packageId: number): Promise<void> | undefined => running.get(packageId);

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
/** Beyond this estimate the zip's end records are ZIP64 from the start (`archives.ts` adds the entry fields where needed). */
const ZIP64_FROM = 4 * 1024 ** 3 - 64 * 1024 ** 2;

/** Starts building a package in the background; returns at once. */
export function launchPackageJob(deps: AppDeps, actor: Actor, packageId: number): void {
  const job = buildPackage(deps, actor, packageId)
    .then((ready) => (ready ? ensureZip(deps, actor, packageId) : undefined))
    .catch((err: unknown) => deps.logger.error({ err, packageId }, 'returns: package job crashed'))
    .finally(() => running.delete(packageId));
  running.set(packageId, job);
}

const zipping = new Map<number, Promise<void>>();

/**
 * Makes the zip of a ready package from its tar, unless it exists or is being made in this process:
 * right after the tar (the job goes on), or when a download asks for a zip that a restart left unmade.
 * Its failure is logged; the next download of the zip tries again.
 */
export function ensureZip(deps: AppDeps, actor: Actor, packageId: number): Promise<void> {
  const current = zipping.get(packageId);
  if (current) return current;
  const job = writeZip(deps, actor, packageId)
    .catch((err: unknown) => deps.logger.warn({ err, packageId }, 'returns: the zip of a package failed; a download will try again'))
    .finally(() => zipping.delete(packageId));
  zipping.set(packageId, job);
  return job;
}

/** At start: the zips a restart left unmade are made again (in the background, one after another). */
export async function resumeZips(deps: AppDeps): Promise<void> {
  for (const pkg of await q.packagesWithoutZip(deps.db)) await ensureZip(deps, SYSTEM_ACTOR, pkg.id);
}

async function writeZip(deps: AppDeps, actor: Actor, packageId: number): Promise<void> {
  const pkg = await q.packageById(deps.db, packageId);
  if (!pkg || pkg.status !== 'ready' || pkg.zip_sha256 || pkg.tar_size === null) return;
  const { dataDir } = deps.config;
  const dir = packageDir(dataDir, pkg.system_id);
  const part = partFile(dataDir, pkg.system_id, pkg.bag_name, packageId, 'zip');
  const final = packageFile(dataDir, pkg.system_id, pkg.bag_name, 'zip');
  try {
    const zip = await zipFromTar(packageFile(dataDir, pkg.system_id, pkg.bag_name, 'tar'), part, { date: new Date(pkg.started_at), zip64: pkg.tar_size >= ZIP64_FROM });
    await rename(part, final);
    await syncDir(dir);
    // Purged meanwhile (or recorded by another process): the file is not ours to keep.
    if (!(await recordZip(deps, actor, packageId, zip))) await unlink(final).catch(() => undefined);
    else deps.logger.info({ packageId, zip }, 'returns: package zip ready');
  } finally {
    await unlink(part).catch(() => undefined);
  }
}

/**
 * Marks failed every package left `generating` by a process that is gone: one of this host whose pid
 * is dead (or an earlier boot of this very process), or one — of another host, or of ours no longer
 * running — that has not reported for `staleMs`.
 */
export async function recoverInterruptedJobs(deps: AppDeps, staleMs = 10 * 60_000): Promise<number> {
  let failed = 0;
  for (const pkg of await q.generatingPackages(deps.db)) {
    if (running.has(pkg.id)) continue;
    const [host, pidText, boot] = pkg.worker.split(' ');
    const pid = Number(pidText);
    const silent = deps.clock().getTime() - Date.parse(pkg.heartbeat_at) > staleMs;
    let gone: boolean;
    if (host !== hostname()) gone = silent;
    // This process: an earlier incarnation of it (another boot), or a job of ours that ended without a word.
    else if (pid === process.pid) gone = boot !== BOOT || silent;
    else gone = !alive(pid);
    if (!gone) continue;
    // Files first: a crash in between leaves the row `generating`, and the next recovery does both again.
    await removeLeftovers(deps.config.dataDir, pkg, ['returned', 'archived'].includes(await q.statusOf(deps.db, pkg.system_id)));
    if (await failReturn(deps, SYSTEM_ACTOR, pkg.id, 'interrupted: the process building the package stopped; start the return again')) failed++;
  }
  return failed;
}

/**
 * At start, before the first request: a kill between `completeReturn` and the job's own cleanup leaves
 * the scratch folder of a package that is ready (a failed one removes its folder before it says so).
 */
export async function removeFinishedScratch(deps: AppDeps): Promise<void> {
  for (const pkg of await q.finishedPackages(deps.db)) await rm(workDir(deps.config.dataDir, pkg.system_id, pkg.id), { recursive: true, force: true });
}

/**
 * What a killed build leaves: its scratch folder, the half-written archives, and archives already
 * renamed to their final names when the kill came before `completeReturn` — unless the system was
 * returned after all (by another package, whose files those names are).
 */
async function removeLeftovers(dataDir: string, pkg: q.PackageRow, systemReturned: boolean): Promise<void> {
  await rm(workDir(dataDir, pkg.system_id, pkg.id), { recursive: true, force: true }).catch(() => undefined);
  for (const format of ['zip', 'tar'] as const) {
    const part = partFile(dataDir, pkg.system_id, pkg.bag_name, pkg.id, format);
    await unlink(part).catch(() => undefined);
    if (format === 'zip') await unlink(centralDirectoryScratch(part)).catch(() => undefined);
    if (!systemReturned) await unlink(packageFile(dataDir, pkg.system_id, pkg.bag_name, format)).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Progress for the UI, written at most once a second (and at each phase): a heartbeat too. */
class Progress {
  bytesDone = 0;
  filesDone = 0;
  bytesTotal = 0;
  phase = 'bundle';
  private last = 0;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: AppDeps,
    private readonly packageId: number,
  ) {}

  bytes(n: number): void {
    this.bytesDone += n;
    if (Date.now() - this.last >= 1000) this.flush();
  }

  enter(phase: string): Promise<unknown> {
    this.phase = phase;
    return this.flush();
  }

  flush(): Promise<unknown> {
    this.last = Date.now();
    const patch = { phase: this.phase, bytes_done: this.bytesDone, bytes_total: Math.max(this.bytesTotal, this.bytesDone), files_done: this.filesDone, heartbeat_at: this.deps.clock().toISOString() };
    this.writing = this.writing.then(() => q.updateProgress(this.deps.db, this.packageId, patch)).catch(() => undefined);
    return this.writing;
  }
}

/** The bundle of every ref, streamed by git into the scratch folder and hashed on the way. */
async function writeBundle(deps: AppDeps, repo: string, path: string, progress: Progress): Promise<{ size: number; digests: Digests }> {
  const bundle = bundleAll(deps.config.dataDir, repo);
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sha256.update(chunk);
      sha512.update(chunk);
      size += chunk.length;
      progress.bytes(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(bundle.stream, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    await bundle.done;
  } catch (err) {
    bundle.abort();
    throw err;
  }
  return { size, digests: { sha256: sha256.digest('hex'), sha512: sha512.digest('hex') } };
}

/**
 * The bag as a tar (one pass: read once, hashed, written once); once it is on disk the package is
 * `ready` and the system `returned`. The zip is made from the tar afterwards (`ensureZip`).
 */
async function buildPackage(deps: AppDeps, actor: Actor, packageId: number): Promise<boolean> {
  const pkg = await q.packageById(deps.db, packageId);
  const system = pkg ? await systemById(deps.db, pkg.system_id) : undefined;
  const ret = system ? await q.returnOfSystem(deps.db, system.id) : undefined;
  if (!pkg || !system || !ret) return false;
  const { dataDir } = deps.config;
  const repo = repoPath(dataDir, system.id);
  const dir = packageDir(dataDir, system.id);
  const work = workDir(dataDir, system.id, packageId);
  const temp = { zip: partFile(dataDir, system.id, pkg.bag_name, packageId, 'zip'), tar: partFile(dataDir, system.id, pkg.bag_name, packageId, 'tar') };
  const final = { zip: packageFile(dataDir, system.id, pkg.bag_name, 'zip'), tar: packageFile(dataDir, system.id, pkg.bag_name, 'tar') };
  const progress = new Progress(deps, packageId);
  let writer: BagWriter | null = null;
  try {
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const all = await depositsOfSystem(deps.db, system.id); // newest first
    if (!all.length) throw new Error('no accepted version');
    // Rules p.11 asks for "the whole deposit"; the body chose the last accepted version or every one.
    const versions = ret.scope === 'full_history' ? [...all].reverse() : [all[0]];

    await progress.enter('bundle');
    const bundlePath = join(work, 'repository.bundle');
    const { refs, bundle } = await withRepoLock(dataDir, system.id, async () => ({ refs: await repositoryRefs(dataDir, repo), bundle: await writeBundle(deps, repo, bundlePath, progress) }));
    await verifyBundle(dataDir, repo, bundlePath);
    progress.bytesTotal = bundle.size * 2 + versions.reduce((s, d) => s + d.total_size, 0) + 1024 * 1024;

    writer = new BagWriter({ bag: pkg.bag_name, work, tarPath: temp.tar, date: new Date(pkg.started_at), onBytes: (n) => progress.bytes(n) });
    await writer.start();
    await writer.addPayload({ path: 'repository.bundle', size: bundle.size, open: () => createReadStream(bundlePath, { highWaterMark: 1 << 20 }), file: bundlePath, digests: bundle.digests });

    await progress.enter('deposit');
    const notes: DepositNote[] = [];
    const blobs = new BlobStreams(dataDir, repo);
    try {
      for (const d of versions) {
        const folder = ret.scope === 'full_history' ? `deposits/v${d.version}` : 'deposit';
        await addDepositTree(deps, { writer, blobs, repo, commit: d.commit_id, version: d.version, folder, notes, onFile: () => progress.filesDone++ });
      }
    } finally {
      blobs.close();
    }

    await progress.enter('records');
    await writeRecords(deps, { system, ret, pkg, deposits: all, refs, notes, work }, writer);

    await progress.enter('finishing');
    const result = await writer.finish(await bagInfo(deps, system, ret, pkg, versions));
    // Pushes are refused while the package is generating (re-checked under the repository's lock in
    // repositories/push.ts); the last check of the refs and the `returned` transaction run under that
    // lock too, so no push can land between them. Should the refs have moved all the same (a push that
    // held the lock before the job started), the package is not the whole deposit and the job fails.
    await withRepoLock(dataDir, system.id, async () => {
      if (!sameRefs(refs, await repositoryRefs(dataDir, repo))) throw new Error('the repository changed while the package was built; start the return again');
      await rename(temp.tar, final.tar);
      await syncDir(dir);
      await completeReturn(deps, actor, packageId, {
        payloadBytes: result.payloadBytes, payloadFiles: result.payloadFiles, tar: result.tar, versions: versions.map((d) => d.version), refs: refs.length,
      });
    });
    deps.logger.info({ packageId, code: system.code, tar: result.tar }, 'returns: package ready (tar); the zip follows');
    return true;
  } catch (err) {
    deps.logger.warn({ err, packageId, code: system.code }, 'returns: package failed');
    await writer?.abort();
    // Nothing of a failed build stays: no ready package of this system exists (it would be returned already).
    // All of it is gone before the row says `failed`, so whoever sees `failed` sees a clean folder.
    for (const f of [temp.zip, temp.tar, final.zip, final.tar]) await unlink(f).catch(() => undefined);
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
    await failReturn(deps, SYSTEM_ACTOR, packageId, (err as Error).message ?? String(err));
    return false;
  } finally {
    await progress.flush();
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

const sameRefs = (a: RepositoryRef[], b: RepositoryRef[]) => a.length === b.length && a.every((r, i) => r.ref === b[i].ref && r.oid === b[i].oid);

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** bag-info.txt (RFC 8493 §2.2.2): the sender, the contact, what and whose it is; Bag-Size and Payload-Oxum are added by the writer. */
async function bagInfo(deps: AppDeps, system: SystemRow, ret: q.ReturnRow, pkg: q.PackageRow, versions: DepositRow[]): Promise<[string, string | null | undefined][]> {
  const operator = await q.operatorOrg(deps.db);
  const contact = pkg.started_by ? await q.contactOf(deps.db, pkg.started_by) : undefined;
  const register = await q.registerNumberOf(deps.db, system.id);
  const span = versions.length === 1 ? `v${versions[0].version}` : `v${versions[0].version}–v${versions[versions.length - 1].version}`;
  return [
    ['Source-Organization', operator?.name_kk],
    ['Source-Organization', operator?.name_ru],
    ['Organization-Address', operator?.address],
    ['Contact-Name', contact?.full_name ?? pkg.started_by_login],
    ['Contact-Phone', operator?.phone],
    ['Contact-Email', contact?.email ?? operator?.email],
    ['External-Description', `«${system.name_kk}» (${system.code}) ақпараттық жүйесінің депозитін қайтару, Қағидалардың 11-тармағы; ${span}`],
    ['External-Description', `Возврат депозита информационной системы «${system.name_ru}» (${system.code}), п. 11 Правил; ${span}`],
    ['External-Identifier', system.code],
    ['Bagging-Date', almatyDate(new Date(pkg.started_at))],
    ['Bag-Group-Identifier', register],
    ['Bag-Count', '1 of 1'],
    ['Internal-Sender-Identifier', `qoima:return-package:${pkg.id}`],
    ['Bag-Software-Agent', `Qoima ${version}`],
    ['Qoima-Scope', ret.scope],
    ['Qoima-Versions', versions.map((d) => `v${d.version} ${d.commit_id}`).join(', ')],
    ['Qoima-Withdrawn-On', ret.withdrawn_on],
    ['Qoima-Withdrawal-Basis', `${ret.basis_number} (${ret.basis_date})`],
  ];
}
