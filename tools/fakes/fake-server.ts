import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How a stand-in misbehaves, the ways a real service does: `hang` never answers, `slow` answers after `delayMs`,
 * `stall-body` sends headers and half a body then nothing, `error500` answers the vendor's error body with 500,
 * `malformed` answers 200 with broken JSON, `huge` streams `hugeBytes` of valid JSON without a content-length.
 */
export type FailureMode = 'ok' | 'hang' | 'slow' | 'stall-body' | 'error500' | 'malformed' | 'huge';

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface FakeResponse {
  status: number;
  /** An object is sent as JSON; a string as is (with `contentType`, default text/plain). */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface FakeServerOptions {
  /** The vendor's answer in `error500` mode. */
  errorBody?: unknown;
  delayMs?: number;
  hugeBytes?: number;
}

export interface FakeServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly requests: RecordedRequest[];
  mode: FailureMode;
  delayMs: number;
  /** Resolves with the next request received (or the n-th, counting all so far). */
  nextRequest(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

/**
 * A node:http server on 127.0.0.1 port 0 that records every request and answers through `handle`, unless a
 * failure mode is set. The base the vendor stand-ins (Open-Meteo, n8n, Twilio REST) are built on.
 */
export async function startFakeServer(
  handle: (req: RecordedRequest) => FakeResponse,
  opts: FakeServerOptions = {},
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const waiting: ((r: RecordedRequest) => void)[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      url: new URL(req.url ?? '/', 'http://fake'),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    requests.push(recorded);
    for (const w of waiting.splice(0)) w(recorded);
    await answer(fake, handle, recorded, res, opts);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    mode: 'ok',
    delayMs: opts.delayMs ?? 2000,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

async function answer(
  fake: FakeServer,
  handle: (req: RecordedRequest) => FakeResponse,
  req: RecordedRequest,
  res: ServerResponse,
  opts: FakeServerOptions,
): Promise<void> {
  switch (fake.mode) {
    case 'hang':
      return; // the connection stays open until the client gives up or the server closes
    case 'slow':
      await new Promise((r) => setTimeout(r, fake.delayMs));
      if (!res.destroyed) write(res, handle(req));
      return;
    case 'stall-body':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
      return;
    case 'error500':
      write(res, { status: 500, body: opts.errorBody ?? { message: 'Internal Server Error' } });
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"current": {"temperature_2m": 12.3,');
      return;
    case 'huge':
      await streamHuge(res, opts.hugeBytes ?? 8 * 1024 * 1024);
      return;
    default:
      write(res, handle(req));
  }
}

function write(res: ServerResponse, r: FakeResponse): void {
  const isText = typeof r.body === 'string';
  const body = isText ? (r.body as string) : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': r.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8'),
    'content-length': Buffer.byteLength(body),
    ...r.headers,
  });
  res.end(body);
}

/** Valid JSON of `bytes` bytes, chunked (no content-length), so only an incremental cap stops it early. */
async function streamHuge(res: ServerResponse, bytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = 'x'.repeat(64 * 1024);
  res.write('{"data":"');
  for (let sent = 0; sent < bytes && !res.destroyed; sent += chunk.length) {
    if (!res.write(chunk)) await drainOrClose(res);
  }
  if (!res.destroyed) res.end('"}');
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Every way a stand-in can fail, with the tool error each must become: the failure table of every built-in's test. */
export const FAILURE_MODES = [
  ['hang', 'tool_timeout'],
  ['error500', 'tool_failed'],
  ['malformed', 'tool_failed'],
  ['huge', 'tool_failed'],
] as const;
