import { ToolError } from '../core/errors.ts';

/** Bodies larger than this are cut off: a tool's answer goes to the model, whose context is small and paid for. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

export interface HttpCallOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  /** The call's signal (aborted when the call ends or the tool times out). */
  signal: AbortSignal;
  /** This request's own bound, on top of `signal`. */
  timeoutMs?: number;
  maxBytes?: number;
  /** `json` fails on a body that does not parse; `auto` parses when the content type says JSON. */
  expect?: 'json' | 'text' | 'auto';
}

export interface HttpCallResult {
  status: number;
  contentType: string;
  /** Parsed JSON, or text when the response is not JSON (under `auto`/`text`). */
  body: unknown;
  bytes: number;
  durationMs: number;
}

/**
 * One bounded outbound request for a tool: a timeout, a size cap read incrementally (a huge or endless body is
 * cancelled at the cap, never buffered whole), no redirects, and every failure as a ToolError the registry can
 * answer to the model. Non-2xx statuses fail with the status and the start of the body.
 */
export async function httpCall(opts: HttpCallOptions): Promise<HttpCallResult> {
  const url = parseHttpUrl(opts.url);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([opts.signal, timeout]);
  const started = performance.now();
  const host = url.host;
  try {
    const res = await fetch(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      body: opts.body,
      signal,
      // A redirect would carry our (possibly secret) headers to another host; tools talk to fixed endpoints.
      redirect: 'error',
    });
    if (!res.ok) {
      // The status is the news; the body's start may say why, and the rest is not worth reading.
      const snippet = await readSnippet(res, 200);
      throw new ToolError('tool_failed', `${host} answered ${res.status}${snippet ? `: ${snippet}` : ''}`);
    }
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw new ToolError('tool_failed', `response from ${host} too large (${declared} bytes > ${maxBytes})`);
    }
    const raw = await readCapped(res, maxBytes, host);
    const contentType = res.headers.get('content-type') ?? '';
    const text = new TextDecoder().decode(raw);
    const expect = opts.expect ?? 'auto';
    const wantsJson = expect === 'json' || (expect === 'auto' && /\bjson\b/i.test(contentType));
    let body: unknown = text;
    if (wantsJson) {
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        throw new ToolError('tool_failed', `malformed JSON from ${host}`);
      }
    }
    return { status: res.status, contentType, body, bytes: raw.byteLength, durationMs: performance.now() - started };
  } catch (err) {
    throw asToolError(err, { timeout, callSignal: opts.signal, host, timeoutMs });
  }
}

/** Only http(s): an admin-typed `file:` or `data:` URL must never become a request. */
export function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolError('tool_failed', 'invalid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolError('tool_failed', `only http(s) URLs are allowed, not ${url.protocol}`);
  }
  return url;
}

async function readSnippet(res: Response, chars: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const { value } = await reader.read();
  await reader.cancel().catch(() => {});
  return value ? new TextDecoder().decode(value.subarray(0, chars * 4)).slice(0, chars) : '';
}

async function readCapped(res: Response, maxBytes: number, host: string): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ToolError('tool_failed', `response from ${host} exceeds ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function asToolError(
  err: unknown,
  c: { timeout: AbortSignal; callSignal: AbortSignal; host: string; timeoutMs: number },
): ToolError {
  if (err instanceof ToolError) return err;
  // The call's signal may itself carry the registry's timeout (a TimeoutError reason); report what it says.
  if (c.callSignal.aborted) return abortError(c.callSignal);
  if (c.timeout.aborted) return new ToolError('tool_timeout', `${c.host} did not answer within ${c.timeoutMs} ms`);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return new ToolError('tool_failed', `request to ${c.host} failed${cause}`);
}

/** The ToolError an aborted signal stands for: a timeout, or the call having ended. */
export function abortError(signal: AbortSignal): ToolError {
  const reason: unknown = signal.reason;
  if (reason instanceof ToolError) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError')
    return new ToolError('tool_timeout', 'timed out');
  return new ToolError('tool_aborted', 'the call ended');
}

/** A parsed JSON body that is an object (not an array or a scalar). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
