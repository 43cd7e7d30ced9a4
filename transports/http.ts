import type uWS from 'uWebSockets.js';
import type { z } from 'zod';

/** Bodies larger than this are refused with 413 before they are buffered. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}

/**
 * A uWS response that knows whether the client went away. uWS forbids touching a response after `onAborted`, and
 * every handler that awaits must have registered one before its first await.
 */
export interface Reply {
  readonly res: uWS.HttpResponse;
  aborted: boolean;
}

export function reply(res: uWS.HttpResponse): Reply {
  const r: Reply = { res, aborted: false };
  res.onAborted(() => {
    r.aborted = true;
  });
  return r;
}

/** Writes a whole response in one corked batch; a no-op when the client is gone. */
export function send(
  r: Reply,
  status: number,
  body: string | Uint8Array,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): void {
  if (r.aborted) return;
  r.aborted = true; // a response is written once
  r.res.cork(() => {
    r.res.writeStatus(statusLine(status));
    r.res.writeHeader('content-type', contentType);
    r.res.writeHeader('cache-control', 'no-store');
    for (const [k, v] of Object.entries(headers)) r.res.writeHeader(k, v);
    r.res.end(body);
  });
}

export function sendJson(r: Reply, status: number, value: unknown): void {
  send(r, status, JSON.stringify(value));
}

/** `{ "error": { code, message, details? } }`, the one error shape of the HTTP surface. */
export function sendError(r: Reply, err: HttpError): void {
  sendJson(r, err.status, { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
}

/**
 * Buffers a request body up to `limit` bytes. uWS hands out chunks whose memory is reused after the callback, so
 * each is copied. Rejects with a 413 HttpError (and stops reading) when the body is larger than the limit.
 */
export function readBody(r: Reply, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let failed = false;
    r.res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, 'body_too_large', `request body exceeds ${limit} bytes`));
        return;
      }
      parts.push(Buffer.from(chunk.slice(0)));
      if (isLast) resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    });
  });
}

/** Reads and parses a JSON body against a schema; any failure is a 400 naming the field. */
export async function readJson<S extends z.ZodType>(r: Reply, schema: S, limit = DEFAULT_BODY_LIMIT): Promise<z.infer<S>> {
  const body = await readBody(r, limit);
  let value: unknown;
  try {
    value = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    throw new HttpError(400, 'invalid_body', first ? `${first.path || '(body)'}: ${first.message}` : 'invalid body', issues);
  }
  return parsed.data;
}

/** Parses `application/x-www-form-urlencoded` (Twilio's webhook bodies) into a flat record. */
export function parseForm(body: Buffer | string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body.toString())) out[k] = v;
  return out;
}

/** Constant-time comparison of a bearer token (`Authorization: Bearer …`) against the expected one. */
export function bearerToken(header: string): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m?.[1]?.trim();
}
