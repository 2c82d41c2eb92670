import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hooksDir } from './env.js';

/**
 * Push policy runs in the server, reached from git's hooks over a Unix socket.
 *
 * Why a socket rather than a self-contained hook script: the policy needs the database (the
 * system's status right now, who is pushing) and a successful push must append to the audit trail
 * in one transaction with the status change. A hook that opened the database itself would need
 * the server's secrets and configuration in its environment; instead the server spawns
 * receive-pack with two variables — the socket path and a random one-time push token — and the hook
 * (a few lines of plain Node) only forwards its stdin and the quarantine paths, then prints the
 * server's answer as `qoima: …` lines (git shows them as `remote: qoima: …`) and exits 0 or 1.
 * The socket is a file in the data folder, not a network port; a token is known only to the one
 * receive-pack it was made for and dies with it. A receive-pack started without a token (anyone
 * running git on the server by hand) is refused by the hook.
 *
 * The hooks folder lives in the data folder, outside every repository, and is given to git with
 * `-c core.hooksPath=…` on the command line, which no repository config can override.
 */
const HOOK_CLIENT = `'use strict';
// Qoima push hook (written by the server: server/git/hooks.ts). Forwards to the server and prints its answer.
const net = require('node:net');
const hook = require('node:path').basename(process.argv[2] || '');
const socketPath = process.env.QOIMA_HOOK_SOCKET;
const token = process.env.QOIMA_PUSH_TOKEN;
const fail = (why) => { process.stderr.write('qoima: ' + why + '\\n'); process.exit(1); };
if (!socketPath || !token) fail('push refused: not received through the Qoima server');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const request = JSON.stringify({
    token, hook, stdin: Buffer.concat(chunks).toString('utf8'),
    quarantine: process.env.GIT_QUARANTINE_PATH || null,
  });
  let answer = '';
  const conn = net.createConnection(socketPath, () => conn.end(request + '\\n'));
  conn.setEncoding('utf8');
  conn.on('data', (d) => { answer += d; });
  conn.on('error', () => fail('push refused: the server did not answer'));
  conn.on('end', () => {
    let res;
    try { res = JSON.parse(answer); } catch { return fail('push refused: the server did not answer'); }
    for (const line of res.messages || []) process.stderr.write('qoima: ' + line + '\\n');
    process.exit(res.ok ? 0 : 1);
  });
});
`;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Writes the hooks (atomically, 0755) into the data folder's hooks directory. */
export function installHooks(dataDir: string): string {
  const dir = hooksDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const client = join(dir, 'qoima-hook.cjs');
  writeAtomic(client, HOOK_CLIENT, 0o644);
  for (const name of ['pre-receive', 'post-receive']) {
    const script = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(client)} ${name}\n`;
    writeAtomic(join(dir, name), script, 0o755);
  }
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

const socketFiles = new Set<string>();
function removeAtExit(path: string): void {
  if (socketFiles.size === 0) process.once('exit', () => socketFiles.forEach((p) => rmSync(p, { force: true })));
  socketFiles.add(path);
}

/**
 * The socket the hooks talk to, one per server process. Each receive-pack registers a handler
 * under a fresh token and unregisters it when the process ends.
 */
export class HookServer {
  private server: Server | null = null;
  private listening: Promise<string> | null = null;
  private readonly handlers = new Map<string, HookHandler>();

  constructor(
    private readonly dataDir: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts listening on first use; resolves to the socket path. */
  start(): Promise<string> {
    this.listening ??= new Promise<string>((resolve, reject) => {
      const name = `hook-${process.pid}-${randomBytes(4).toString('hex')}.sock`;
      // A Unix socket path is limited to ~107 bytes; a deep data folder falls back to the temp folder.
      let path = join(this.dataDir, 'git', name);
      if (Buffer.byteLength(path) > 100) path = join(tmpdir(), `qoima-${name}`);
      mkdirSync(join(this.dataDir, 'git'), { recursive: true });
      rmSync(path, { force: true });
      const server = createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));
      server.on('error', reject);
      server.listen(path, () => {
        chmodSync(path, 0o600);
        server.unref();
        removeAtExit(path);
        resolve(path);
      });
      this.server = server;
    });
    return this.listening;
  }

  register(handler: HookHandler): string {
    const token = randomBytes(32).toString('base64url');
    this.handlers.set(token, handler);
    return token;
  }

  unregister(token: string): void {
    this.handlers.delete(token);
  }

  close(): void {
    this.server?.close();
  }

  private serve(socket: Socket): void {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST) socket.destroy();
      else chunks.push(chunk);
    });
    socket.on('end', () => {
      void this.answer(Buffer.concat(chunks).toString('utf8')).then((answer) => socket.end(JSON.stringify(answer)));
    });
  }

  private async answer(raw: string): Promise<HookAnswer> {
    let msg: { token?: unknown; hook?: unknown; stdin?: unknown; quarantine?: unknown };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return { ok: false, messages: ['push refused: malformed hook request'] };
    }
    const handler = typeof msg.token === 'string' ? this.handlers.get(msg.token) : undefined;
    if (!handler || (msg.hook !== 'pre-receive' && msg.hook !== 'post-receive') || typeof msg.stdin !== 'string') {
      return { ok: false, messages: ['push refused: unknown push'] };
    }
    try {
      return await handler({ hook: msg.hook, stdin: msg.stdin, quarantine: typeof msg.quarantine === 'string' ? msg.quarantine : null });
    } catch (err) {
      this.onError(err);
      return { ok: false, messages: ['push refused: internal error (logged)'] };
    }
  }
}
