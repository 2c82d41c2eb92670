import type { SystemStatus } from '../systems/policy.js';

/**
 * What a push may change, as pure rules over the ref updates (the facts that need git — fast-forward,
 * blob sizes, tree names — are gathered by server/git/inspect.ts and judged here too).
 * Each rejection is a message key in the `git` namespace, shown as `remote: qoima: …`.
 */
export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

export interface Rejection {
  key: string;
  params?: Record<string, string | number>;
}

const ZERO = '0'.repeat(40);
const UPDATE_LINE = /^([0-9a-f]{40}) ([0-9a-f]{40}) (refs\/\S+)$/;

export const isZero = (oid: string) => oid === ZERO;

/** The `<old> <new> <ref>` lines of a pre-/post-receive hook; malformed input is a refusal. */
export function parseUpdates(stdin: string): RefUpdate[] | null {
  const lines = stdin.split('\n').filter((l) => l.length > 0);
  const updates: RefUpdate[] = [];
  for (const line of lines) {
    const m = UPDATE_LINE.exec(line);
    if (!m) return null;
    updates.push({ old: m[1], new: m[2], ref: m[3] });
  }
  return updates;
}

/** Systems that take no more deposits: handed back (Rules p.11) or transferred to the archive (p.12). */
export const CLOSED_STATUSES: readonly SystemStatus[] = ['returned', 'archived'];

/** A branch or tag name git itself would accept, without the odd corners (`..`, `@{`, control chars). */
const SAFE_REF = /^refs\/(heads|tags)\/(?!.*(?:\.\.|@\{|\/\/|\/\.|\.lock(?:\/|$)))(?!\.)[\p{L}\p{N}._\-/+@]*[\p{L}\p{N}_\-+@]$/u;

export function refRejections(updates: RefUpdate[], who: { isOperator: boolean }, status: SystemStatus): Rejection[] {
  if (CLOSED_STATUSES.includes(status)) return [{ key: 'git.push.system_closed', params: { status } }];
  const out: Rejection[] = [];
  for (const u of updates) {
    if (!SAFE_REF.test(u.ref)) {
      out.push({ key: 'git.push.ref_not_allowed', params: { ref: u.ref } });
    } else if (isZero(u.new)) {
      out.push({ key: 'git.push.deletion_refused', params: { ref: u.ref } });
    } else if (u.ref.startsWith('refs/tags/')) {
      // Accepted deposit versions are tagged deposit/* by the operator (Rules p.9); nobody else may.
      if (u.ref.startsWith('refs/tags/deposit/') && !who.isOperator) out.push({ key: 'git.push.deposit_tag_reserved', params: { ref: u.ref } });
      else if (!isZero(u.old)) out.push({ key: 'git.push.tag_immutable', params: { ref: u.ref } });
    }
  }
  return out;
}

/** Branch updates that must be fast-forwards (checked against git after the rules above pass). */
export function branchUpdatesToCheck(updates: RefUpdate[]): RefUpdate[] {
  return updates.filter((u) => u.ref.startsWith('refs/heads/') && !isZero(u.old) && !isZero(u.new));
}
