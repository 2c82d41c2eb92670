import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { hooksDir } from './env.js';

/**
 * Push policy runs in the server; git's hooks only carry the question there and the answer back.
 *
 * Why in the server: the policy needs the database (the system's status right now, who is pushing)
 * and a successful push appends to the audit trail in one transaction with the status change. A
 * hook that opened the database itself would need the server's secrets in its environment.
 *
 * How the hook reaches the server: the server spawns receive-pack with one extra descriptor, fd 3,
 * the child's end of a socketpair whose other end the server holds. git does not close inherited
 * descriptors, so the hooks receive-pack runs inherit fd 3 too. A hook is a few lines of /bin/sh:
 * it writes `qoima-hook <name>`, the quarantine path, its stdin (`<old> <new> <ref>` lines) and
 * `end` to fd 3, then reads `say <text>` lines (printed as `qoima: <text>`, which the client shows
 * as `remote: qoima: …`) and a final `ok` or `no` (exit 0 or 1). No socket file, no port, no token:
 * the descriptor is the capability, it exists only in the one receive-pack the server started for an
 * authorized request, and a receive-pack started any other way (by hand on the server) has no fd 3,
 * so its hook refuses. (A Node hook over a Unix socket worked too, but starting Node twice per push
 * cost 0.1–0.4 s; /bin/sh starts in a millisecond — docs/benchmarks.md.)
 *
 * The hooks folder lives in the data folder, outside every repository, and is given to git with
 * `-c core.hooksPath=…` on the command line, which no repository config can override.
 */
const HOOK_SCRIPT = `#!/bin/sh
# Qoima push hook, written by the server (server/git/hooks.ts): asks the server through fd 3.
hook=\${0##*/}
{ printf 'qoima-hook %s\\n%s\\n' "$hook" "$GIT_QUARANTINE_PATH" && cat && printf 'end\\n'; } >&3 2>/dev/null || {
  echo "qoima: push refused: not received through the Qoima server" >&2
  exit 1
}
while IFS= read -r line <&3; do
  case $line in
    'say '*) printf 'qoima: %s\\n' "\${line#say }" >&2 ;;
    ok) exit 0 ;;
    *) exit 1 ;;
  esac
done
exit 1
`;

export const HOOK_NAMES = ['pre-receive', 'post-receive'] as const;

/** Writes the hooks (atomically, 0755) into the data folder's hooks directory. */
export function installHooks(dataDir: string): string {
  const dir = hooksDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const name of HOOK_NAMES) writeAtomic(join(dir, name), HOOK_SCRIPT, 0o755);
  return dir;
}

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

// ------------------------------------------------------------------ the server side

export interface HookRequest {
  hook: 'pre-receive' | 'post-receive';
  /** `<old> <new> <ref>` lines as git gave them to the hook. */
  stdin: string;
  /** GIT_QUARANTINE_PATH of a pre-receive: the folder holding the pushed objects until accepted. */
  quarantine: string | null;
}

export interface HookAnswer {
  ok: boolean;
  messages: string[];
}

export type HookHandler = (req: HookRequest) => Promise<HookAnswer>;

const MAX_REQUEST = 16 * 1024 * 1024;

/**
 * Serves the hooks of one receive-pack on the server's end of its fd 3: reads each request up to
 * its `end` line, asks `handler`, writes the answer. Requests come one at a time (git runs
 * pre-receive, updates refs, then runs post-receive).
 */
export function serveHookChannel(channel: Duplex, handler: HookHandler, onError: (err: unknown) => void): void {
  let buffer = '';
  let busy = Promise.resolve();
  channel.setEncoding('utf8');
  channel.on('error', () => undefined); // the push ended (or was cut) while a hook was talking
  channel.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST) {
      channel.destroy();
      return;
    }
    for (let end = buffer.indexOf('\nend\n'); end >= 0; end = buffer.indexOf('\nend\n')) {
      const request = buffer.slice(0, end + 1);
      buffer = buffer.slice(end + 5);
      busy = busy.then(() => answer(request)).then((text) => void channel.write(text));
    }
  });

  async function answer(request: string): Promise<string> {
    const [header, quarantine, ...lines] = request.split('\n');
    const hook = header.startsWith('qoima-hook ') ? header.slice('qoima-hook '.length) : '';
    let result: HookAnswer;
    if (hook !== 'pre-receive' && hook !== 'post-receive') {
      result = { ok: false, messages: ['push refused: malformed hook request'] };
    } else {
      try {
        result = await handler({ hook, stdin: lines.join('\n'), quarantine: quarantine || null });
      } catch (err) {
        onError(err);
        result = { ok: false, messages: ['push refused: internal error (logged)'] };
      }
    }
    return result.messages.map((m) => `say ${m.replace(/[\r\n]+/g, ' ')}\n`).join('') + (result.ok ? 'ok\n' : 'no\n');
  }
}
