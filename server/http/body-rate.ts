import type { Request, RequestHandler, Response } from 'express';
import { t } from './i18n.js';

export interface BodyRateRule {
  /** Fewest bytes a request body must deliver within any window of `windowMs` while the server waits on it. */
  minBytes: number;
  windowMs: number;
}

/**
 * The minimum-rate rule for request bodies (issue 13, slow-loris). The server has no overall request
 * timeout (multi-gigabyte uploads and long pushes must finish), so a client that trickles its body
 * — a byte a second — could hold a connection, a git process or an upload slot for ever. This cuts
 * a body that delivers fewer than `minBytes` over a sliding window of `windowMs`, counting only the
 * time the server is actually waiting for the client: a handler that has not started reading yet
 * (authorization, a queue for a git slot) or that paused the body because git or the disk is slower
 * than the network (backpressure: bytes sit in the request's buffer) does not count against it.
 * The client gets a 408 (when no response has started) and the connection is closed; the handler's
 * stream then fails as an aborted upload does, so its temp file, git process and rows are cleaned up
 * by the same code that handles a client that goes away.
 */
export function bodyRate(rule: BodyRateRule, onCut: (req: Request) => void = () => undefined): RequestHandler {
  const tickMs = Math.max(50, Math.floor(rule.windowMs / 4));
  const ticksPerWindow = Math.ceil(rule.windowMs / tickMs);
  return (req, res, next) => {
    if (rule.windowMs <= 0 || !hasBody(req)) return next();
    const socket = req.socket;
    let last = socket.bytesRead;
    let window: number[] = [];
    const timer = setInterval(() => {
      if (req.complete || req.destroyed || res.writableEnded) return stop();
      const read = socket.bytesRead;
      const delta = read - last;
      last = read;
      // Waiting on the client: a consumer is attached and has taken every byte that came.
      if (req.readableFlowing === null || req.readableLength > 0) {
        window = [];
        return;
      }
      window.push(delta);
      if (window.length > ticksPerWindow) window.shift();
      if (window.length === ticksPerWindow && window.reduce((a, b) => a + b, 0) < rule.minBytes) {
        stop();
        onCut(req);
        cut(req, res);
      }
    }, tickMs);
    timer.unref();
    const stop = () => clearInterval(timer);
    req.once('end', stop);
    res.once('close', stop);
    next();
  };
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function cut(req: Request, res: Response): void {
  const socket = req.socket;
  // The request stream too: once a response has finished Node no longer aborts it when the socket
  // closes, and a handler piping it (into git, into a temp file) would wait for its end for ever.
  const close = () => {
    socket.destroy();
    req.destroy();
  };
  if (res.headersSent) return close();
  const message = t(req.lang ?? 'ru', 'limits.errors.body_too_slow');
  const body = JSON.stringify({ error: { code: 'body_too_slow', message } });
  res.writeHead(408, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body, close);
  setTimeout(close, 1000).unref(); // a client that does not read its answer either
}
