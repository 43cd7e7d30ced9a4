import type uWS from 'uWebSockets.js';
import { z } from 'zod';
import { StorageError, VoxError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { isAdmin } from './admin-auth.ts';
import { HttpError, type Reply, reply, send, sendError } from './http.ts';

/** Admin API bodies are config and tool definitions: 128 KiB holds 20 000 characters of instructions in any script. */
export const API_BODY_LIMIT = 128 * 1024;

/** What a handler gets: everything read from the request before the first await (uWS requests die there). */
export interface ApiRequest {
  r: Reply;
  method: string;
  params: string[];
  query: URLSearchParams;
}

export interface ApiRouteDeps {
  adminToken: string;
  log: Logger;
}

/**
 * Wraps an admin API handler: replies 401 without the bearer token (before reading any body), 415 for a body that
 * says it is not JSON, and turns whatever the handler throws into the one JSON error shape. A handler that reads a
 * body must call `readJson` before its first await.
 */
export function apiRoute(
  deps: ApiRouteDeps,
  handler: (req: ApiRequest) => Promise<void>,
): (res: uWS.HttpResponse, req: uWS.HttpRequest) => void {
  return (res, req) => {
    const r = reply(res);
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const authorization = req.getHeader('authorization');
    const contentType = req.getHeader('content-type');
    // uWS answers '' (not undefined) past the last parameter; our routes have at most two.
    const params = [req.getParameter(0) ?? '', req.getParameter(1) ?? ''];
    const query = new URLSearchParams(req.getQuery() ?? '');
    if (!isAdmin(authorization, deps.adminToken)) {
      send(
        r,
        401,
        JSON.stringify({ error: { code: 'unauthorized', message: 'admin token required (Authorization: Bearer …)' } }),
        'application/json',
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
    if ((method === 'POST' || method === 'PUT') && contentType && !/^application\/json\b/i.test(contentType)) {
      sendError(r, new HttpError(415, 'unsupported_media_type', 'request body must be application/json'));
      return;
    }
    handler({ r, method, params, query }).catch((err: unknown) => sendError(r, toHttpError(err, deps.log)));
  };
}

/** The HTTP face of an error: ours by code, the database's as 503, anything else a logged 500. */
export function toHttpError(err: unknown, log: Logger): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof z.ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    return new HttpError(400, 'invalid_body', first ? `${first.path || '(body)'}: ${first.message}` : 'invalid', issues);
  }
  if (err instanceof StorageError) {
    if (err.code === 'not_found') return new HttpError(404, 'not_found', err.message);
    if (err.code === 'conflict') return new HttpError(409, 'conflict', err.message);
    if (err.code === 'invalid_cursor') return new HttpError(400, 'invalid_query', `cursor: ${err.message}`);
    if (err.retryable || err.code === 'database_unavailable' || err.code === 'database_timeout')
      return new HttpError(503, 'database_unavailable', 'the database is unavailable; try again');
  }
  if (!(err instanceof VoxError) && isDatabaseDown(err)) {
    return new HttpError(503, 'database_unavailable', 'the database is unavailable; try again');
  }
  log.error({ err }, 'admin api request failed');
  return new HttpError(500, 'internal', 'internal error');
}

/** postgres.js connection failures (no SQLSTATE, or class 08 / 57P0x: connection exception, admin shutdown). */
function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code === '3D000' ||
    code === 'CONNECTION_CLOSED' ||
    code === 'CONNECTION_ENDED' ||
    code === 'CONNECTION_DESTROYED' ||
    code === 'CONNECT_TIMEOUT' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET'
  );
}

/** Parses a query string against a strict schema of string fields; a bad or unknown field is a 400 naming it. */
export function parseQuery<S extends z.ZodType>(query: URLSearchParams, schema: S): z.infer<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of query) raw[k] = v;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0]!;
    throw new HttpError(400, 'invalid_query', `${first.path || '(query)'}: ${first.message}`, issues);
  }
  return parsed.data;
}
