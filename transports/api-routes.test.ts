import uWS from 'uWebSockets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../core/db/test-database.ts';
import { createLogger } from '../core/log.ts';
import { openStorage, type Storage } from '../core/storage/storage.ts';
import { registerApiRoutes } from './api-routes.ts';

const log = createLogger('silent');
const TOKEN = 'test-admin-token-0123456789';

describe.each(BACKENDS)('admin API on %s', (backend) => {
  let tdb: TestDatabase;
  let storage: Storage;
  let listenSocket: uWS.us_listen_socket;
  let base: string;

  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
    storage = await openStorage(tdb.config, log);
    const app = uWS.App();
    registerApiRoutes(app, { storage, adminToken: TOKEN, log });
    listenSocket = await new Promise((resolve, reject) =>
      app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen failed')))),
    );
    base = `http://127.0.0.1:${uWS.us_socket_local_port(listenSocket)}`;
  });
  afterAll(async () => {
    if (listenSocket) uWS.us_listen_socket_close(listenSocket);
    await storage?.close();
    await tdb?.drop();
  });

  // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON the API answered
  type Json = any;
  async function api(
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; raw?: string; contentType?: string } = {},
  ): Promise<{ status: number; json: Json; headers: Headers }> {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? TOKEN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  describe('agent config', () => {
    it('GET returns the active config; what it returned may be PUT back as it is', async () => {
      const got = await api('GET', '/api/agent-config');
      expect(got.status).toBe(200);
      expect(got.json).toMatchObject({ version: 1, name: 'default', voice: 'marin', apiMode: 'ga', enabledTools: [] });
      const back = await api('PUT', '/api/agent-config', got.json);
      expect(back.status).toBe(200);
      expect(back.json).toEqual(got.json);
    });

    it('PUT changes only the fields given and makes a version; history lists them newest first', async () => {
      const put = await api('PUT', '/api/agent-config', { voice: 'cedar', turnDetection: { type: 'semantic_vad' } });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({ version: 2, voice: 'cedar', name: 'default', turnDetection: { type: 'semantic_vad', eagerness: 'auto' } });
      const history = await api('GET', '/api/agent-config/history?limit=1');
      expect(history.json.versions).toHaveLength(1);
      expect(history.json.versions[0]).toMatchObject({ version: 2, active: true });
      expect(history.json.nextBefore).toBe(2);
      const older = await api('GET', '/api/agent-config/history?limit=1&before=2');
      expect(older.json.versions[0]).toMatchObject({ version: 1, active: false, voice: 'marin' });
      const restored = await api('POST', '/api/agent-config/history/1/restore');
      expect(restored.json).toMatchObject({ version: 3, voice: 'marin' });
    });

    it('refuses a PUT based on a stale version (409) and changes nothing', async () => {
      const res = await api('PUT', '/api/agent-config', { version: 1, voice: 'ash' });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('conflict');
      expect((await api('GET', '/api/agent-config')).json.version).toBe(3);
    });

    it.each([
      ['malformed JSON', { raw: '{"voice": "ash",' }, 400, 'invalid_json', undefined],
      ['an unknown field', { body: { voice: 'ash', colour: 'blue' } }, 400, 'invalid_body', /colour/],
      ['a wrong type', { body: { enabledTools: 'all' } }, 400, 'invalid_body', /^enabledTools:/],
      ['a nested wrong value', { body: { turnDetection: { type: 'server_vad', threshold: 7 } } }, 400, 'invalid_body', /^turnDetection\.threshold:/],
      ['a non-object body', { raw: '[1,2]' }, 400, 'invalid_body', /\(body\)/],
      ['an empty body', { raw: '' }, 400, 'invalid_body', undefined],
      ['too long a field', { body: { instructions: 'x'.repeat(20_001) } }, 400, 'invalid_body', /^instructions:/],
      ['an oversized body', { body: { instructions: 'x'.repeat(200_000) } }, 413, 'body_too_large', undefined],
      ['a non-JSON content type', { raw: 'voice=ash', contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type', undefined],
      ['no token', { body: { voice: 'ash' }, token: null }, 401, 'unauthorized', undefined],
      ['a wrong token', { body: { voice: 'ash' }, token: 'nope' }, 401, 'unauthorized', undefined],
    ] as const)('answers %s with a clear 4xx and changes nothing', async (_what, input, status, code, message) => {
      const before = (await api('GET', '/api/agent-config')).json;
      const opts = input as { body?: unknown; raw?: string; token?: string | null; contentType?: string };
      const res = await api('PUT', '/api/agent-config', opts.body, opts);
      expect(res.status).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(typeof res.json.error.message).toBe('string');
      if (message) expect(res.json.error.message).toMatch(message);
      if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect((await api('GET', '/api/agent-config')).json).toEqual(before);
    });

    it('asks for the token on reads too', async () => {
      expect((await api('GET', '/api/agent-config', undefined, { token: null })).status).toBe(401);
      expect((await api('GET', '/api/sessions', undefined, { token: `${TOKEN}x` })).status).toBe(401);
    });
  });

  describe('tools', () => {
    const crm = {
      name: 'crm_lookup',
      description: 'Look a customer up by phone number',
      kind: 'webhook',
      url: 'https://crm.example.com/lookup',
      method: 'POST',
      parameters: { type: 'object', properties: { phone: { type: 'string' } }, required: ['phone'] },
      headers: { Authorization: { env: 'TOOL_CRM_TOKEN' }, 'X-Tenant': 'acme' },
      timeoutMs: 4000,
    };

    it('creates, lists, reads, updates (round trip too) and deletes a definition', async () => {
      const created = await api('POST', '/api/tools', crm);
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ ...crm, enabled: true });
      expect((await api('POST', '/api/tools', crm)).status).toBe(409);

      const list = await api('GET', '/api/tools');
      expect(list.json.tools.map((t: { name: string }) => t.name)).toEqual(['crm_lookup']);

      const one = await api('GET', '/api/tools/crm_lookup');
      expect(one.status).toBe(200);
      const roundTrip = await api('PUT', '/api/tools/crm_lookup', one.json);
      expect(roundTrip.status).toBe(200);
      expect(roundTrip.json).toMatchObject(crm);

      const disabled = await api('PUT', '/api/tools/crm_lookup', { enabled: false, timeoutMs: 2500 });
      expect(disabled.json).toMatchObject({ enabled: false, timeoutMs: 2500, url: crm.url });

      expect((await api('DELETE', '/api/tools/crm_lookup')).status).toBe(204);
      expect((await api('GET', '/api/tools/crm_lookup')).status).toBe(404);
      expect((await api('DELETE', '/api/tools/crm_lookup')).status).toBe(404);
    });

    it.each([
      ['a secret header given literally', { ...crm, headers: { Authorization: 'Bearer sk-live' } }, /^headers\.Authorization:/],
      ['a built-in name', { ...crm, name: 'end_call' }, /^name:/],
      ['an unknown field', { ...crm, retries: 3 }, /retries/],
      ['a non-http URL', { ...crm, url: 'file:///etc/passwd' }, /^url:/],
      ['a wrong type', { ...crm, timeoutMs: '4000' }, /^timeoutMs:/],
    ])('refuses %s (400, field named) and stores nothing', async (_what, body, message) => {
      const res = await api('POST', '/api/tools', body);
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(message);
      expect((await api('GET', '/api/tools')).json.tools).toEqual([]);
    });

    it('validates a PUT against what is stored, and 404s an unknown tool', async () => {
      await api('POST', '/api/tools', crm);
      const bad = await api('PUT', '/api/tools/crm_lookup', { headers: { 'X-Api-Key': 'plain-secret' } });
      expect(bad.status).toBe(400);
      expect(bad.json.error.message).toMatch(/^headers\.X-Api-Key:/);
      expect((await api('GET', '/api/tools/crm_lookup')).json.headers).toEqual(crm.headers);
      expect((await api('PUT', '/api/tools/missing_tool', { enabled: false })).status).toBe(404);
      expect((await api('GET', '/api/tools/bad%20name')).status).toBe(404);
      await api('DELETE', '/api/tools/crm_lookup');
    });
  });

  describe('sessions', () => {
    beforeAll(async () => {
      const t0 = Date.parse('2026-03-01T10:00:00Z');
      for (let i = 0; i < 5; i++) {
        const sessionId = `api-s${i}`;
        storage.sink.record({ type: 'session.started', sessionId, kind: i < 3 ? 'phone' : 'browser', callSid: i < 3 ? `CA${i}` : undefined, configName: 'default', config: {}, at: t0 + i * 1000 });
        storage.sink.record({ type: 'transcript', sessionId, role: 'user', itemId: 'u1', text: `question ${i}`, at: t0 + i * 1000 + 100 });
        storage.sink.record({ type: 'tool_call', sessionId, callId: 'c', name: 'get_weather_from_coords', arguments: '{}', output: '{}', ok: true, durationMs: 5, at: t0 + i * 1000 + 200 });
        storage.sink.record({ type: 'transcript', sessionId, role: 'assistant', itemId: 'a1', text: `answer ${i}`, at: t0 + i * 1000 + 300 });
        storage.sink.record({ type: 'session.ended', sessionId, reason: 'hangup', metrics: { turns: 1 }, usage: {}, at: t0 + i * 1000 + 900 });
      }
      await storage.logWriter.flush();
    });

    it('pages newest first and filters by kind and date', async () => {
      const p1 = await api('GET', '/api/sessions?limit=2&since=2026-03-01&until=2026-03-02');
      expect(p1.status).toBe(200);
      expect(p1.json.sessions.map((s: { id: string }) => s.id)).toEqual(['api-s4', 'api-s3']);
      const p2 = await api('GET', `/api/sessions?limit=2&since=2026-03-01&until=2026-03-02&cursor=${p1.json.nextCursor}`);
      expect(p2.json.sessions.map((s: { id: string }) => s.id)).toEqual(['api-s2', 'api-s1']);
      const phones = await api('GET', '/api/sessions?kind=phone&since=2026-03-01T10:00:01Z&until=2026-03-01T11:00:03%2B01:00');
      expect(phones.json.sessions.map((s: { id: string }) => s.id)).toEqual(['api-s2', 'api-s1']);
      expect(phones.json.sessions[0]).toMatchObject({ kind: 'phone', callSid: 'CA2', endReason: 'hangup', durationMs: 900 });
    });

    it('shows one session with its transcript and logs', async () => {
      const res = await api('GET', '/api/sessions/api-s2');
      expect(res.status).toBe(200);
      expect(res.json.transcript.map((t: { role: string; text: string }) => [t.role, t.text])).toEqual([
        ['user', 'question 2'],
        ['assistant', 'answer 2'],
      ]);
      expect(res.json.logs.map((l: { kind: string }) => l.kind)).toEqual(['transcript', 'tool_call', 'transcript']);
      expect(res.json.metrics).toEqual({ turns: 1 });
      expect((await api('GET', '/api/sessions/nope')).status).toBe(404);
      // A malformed escape names no session: 404, not a 500.
      expect((await api('GET', '/api/sessions/%E0%A4%A')).status).toBe(404);
    });

    it.each([
      ['kind=fax', /^kind:/],
      ['limit=0', /^limit:/],
      ['limit=abc', /^limit:/],
      ['since=yesterday', /^since:/],
      ['page=2', /page/],
      ['cursor=garbage', /^cursor:/],
    ])('refuses the query %s with a 400 naming the field', async (qs, message) => {
      const res = await api('GET', `/api/sessions?${qs}`);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('invalid_query');
      expect(res.json.error.message).toMatch(message);
    });
  });

  it('answers /readyz without a token, and unknown API routes with a JSON 404', async () => {
    const ready = await api('GET', '/readyz', undefined, { token: null });
    expect(ready).toMatchObject({ status: 200, json: { status: 'ready' } });
    const none = await api('GET', '/api/nothing-here');
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe('not_found');
  });
});
