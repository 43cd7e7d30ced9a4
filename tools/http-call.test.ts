import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ToolError } from '../core/errors.ts';
import { startFakeServer, type FakeServer } from './fakes/fake-server.ts';
import { httpCall } from './http-call.ts';

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeServer(
    (req) => {
      if (req.url.pathname === '/text') return { status: 200, body: 'plain words' };
      if (req.url.pathname === '/big-declared') return { status: 200, body: { data: 'y'.repeat(5000) } };
      if (req.url.pathname === '/redirect') return { status: 302, body: '', headers: { location: '/json' } };
      if (req.url.pathname === '/404') return { status: 404, body: { message: 'no such thing' } };
      if (req.url.pathname === '/500-huge') return { status: 500, body: 'z'.repeat(2 * 1024 * 1024) };
      return { status: 200, body: { hello: 'world', method: req.method, got: req.body } };
    },
    { delayMs: 1000, hugeBytes: 4 * 1024 * 1024, errorBody: { message: 'boom' } },
  );
});
afterAll(() => server.close());
beforeEach(() => {
  server.mode = 'ok';
});

const live = () => new AbortController().signal;

async function failure(p: Promise<unknown>): Promise<ToolError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolError);
  return err as ToolError;
}

describe('httpCall', () => {
  it('parses a JSON answer and sends the body', async () => {
    const res = await httpCall({ url: `${server.url}/json`, method: 'POST', body: 'abc', signal: live() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ hello: 'world', method: 'POST', got: 'abc' });
  });

  it('returns text when the answer is not JSON (auto)', async () => {
    const res = await httpCall({ url: `${server.url}/text`, signal: live() });
    expect(res.body).toBe('plain words');
  });

  it('fails on a non-2xx status with the status and the start of the body', async () => {
    const err = await failure(httpCall({ url: `${server.url}/404`, signal: live() }));
    expect(err.code).toBe('tool_failed');
    expect(err.message).toMatch(/answered 404: .*no such thing/);
    const huge = await failure(httpCall({ url: `${server.url}/500-huge`, signal: live(), maxBytes: 1000 }));
    expect(huge.message).toMatch(/answered 500: z{200}$/);
    server.mode = 'error500';
    expect((await failure(httpCall({ url: `${server.url}/json`, signal: live() }))).message).toMatch(/answered 500/);
  });

  it('fails on malformed JSON', async () => {
    server.mode = 'malformed';
    const err = await failure(httpCall({ url: `${server.url}/json`, signal: live() }));
    expect(err.code).toBe('tool_failed');
    expect(err.message).toMatch(/malformed JSON/);
  });

  it('stops reading a huge chunked body at the cap', async () => {
    server.mode = 'huge';
    const started = performance.now();
    const err = await failure(httpCall({ url: `${server.url}/json`, signal: live(), maxBytes: 100_000 }));
    expect(err.message).toMatch(/exceeds 100000 bytes/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('refuses a declared content-length over the cap before reading', async () => {
    const err = await failure(httpCall({ url: `${server.url}/big-declared`, signal: live(), maxBytes: 1000 }));
    expect(err.message).toMatch(/too large/);
  });

  it('times out a server that never answers, and one that stalls mid-body', async () => {
    server.mode = 'hang';
    const err = await failure(httpCall({ url: `${server.url}/json`, signal: live(), timeoutMs: 150 }));
    expect(err.code).toBe('tool_timeout');
    server.mode = 'stall-body';
    expect((await failure(httpCall({ url: `${server.url}/json`, signal: live(), timeoutMs: 150 }))).code).toBe(
      'tool_timeout',
    );
  });

  it('stops when the call ends', async () => {
    server.mode = 'hang';
    const call = new AbortController();
    setTimeout(() => call.abort(), 50);
    const err = await failure(httpCall({ url: `${server.url}/json`, signal: call.signal, timeoutMs: 5000 }));
    expect(err.code).toBe('tool_aborted');
  });

  it('refuses non-http URLs and redirects', async () => {
    expect((await failure(httpCall({ url: 'file:///etc/passwd', signal: live() }))).message).toMatch(/only http/);
    expect((await failure(httpCall({ url: 'not a url', signal: live() }))).message).toMatch(/invalid URL/);
    expect((await failure(httpCall({ url: `${server.url}/redirect`, signal: live() }))).code).toBe('tool_failed');
  });

  it('reports a refused connection as a failure', async () => {
    const closed = await startFakeServer(() => ({ status: 200, body: {} }));
    await closed.close();
    const err = await failure(httpCall({ url: `${closed.url}/x`, signal: live() }));
    expect(err.code).toBe('tool_failed');
    expect(err.message).toMatch(/request to 127\.0\.0\.1:\d+ failed/);
  });
});
