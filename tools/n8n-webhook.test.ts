import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/log.ts';
import { CUSTOMER_LOOKUP_PATH, type FakeN8n, KNOWLEDGE_BASE_PATH, startFakeN8n } from './fakes/n8n.ts';
import { testToolContext } from './fakes/tool-context.ts';
import { knowledgeBase } from './knowledge-base.ts';
import { lookupCustomer } from './lookup-customer.ts';
import { LiveToolRegistry } from './registry.ts';
import { FAILURE_MODES } from './fakes/fake-server.ts';

const SECRET = 'n8n-shared-secret';
let n8n: FakeN8n;
let registry: LiveToolRegistry;
/** Only for the hang cases: a tight timeout elsewhere turns a loaded machine's slow answer into a false failure. */
let tight: LiveToolRegistry;
beforeAll(async () => {
  n8n = await startFakeN8n({ secret: SECRET, hugeBytes: 1024 * 1024 });
  const make = (timeoutMs: number) =>
    new LiveToolRegistry({
      builtins: [
        lookupCustomer({ url: `${n8n.url}${CUSTOMER_LOOKUP_PATH}`, secret: SECRET, timeoutMs }),
        knowledgeBase({ url: `${n8n.url}${KNOWLEDGE_BASE_PATH}`, secret: SECRET, timeoutMs }),
      ],
      log: createLogger('silent'),
    });
  registry = make(5000);
  tight = make(200);
});
afterAll(() => n8n.close());
beforeEach(() => {
  n8n.mode = 'ok';
  n8n.asItems = false;
  n8n.secret = SECRET;
});

describe('lookup_customer', () => {
  it("looks up the caller by default, signed, with the call's context", async () => {
    const ctx = testToolContext({ from: '+14155550100' });
    const result = await registry.run('lookup_customer', '{}', ctx);
    expect(result.ok).toBe(true);
    const out = JSON.parse(result.output);
    expect(out.customer.name).toBe('Ada Byron');
    expect(out.recentActivity).toHaveLength(2);
    const req = n8n.requests.at(-1)!;
    expect(n8n.signatureValid(req)).toBe(true);
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ phoneNumber: '+14155550100', call: { sessionId: 'sess-test', callSid: ctx.callSid } });
    expect(typeof body.call.at).toBe('number');
  });

  it('looks up another number when given in a browser session, and says when nobody matches', async () => {
    const result = await registry.run(
      'lookup_customer',
      '{"phone_number":"+442079460000"}',
      testToolContext({ kind: 'browser', from: undefined }),
    );
    expect(JSON.parse(result.output)).toEqual({ found: false, phoneNumber: '+442079460000' });
  });

  it("refuses another customer's number on a phone call, without asking the workflow", async () => {
    const before = n8n.requests.length;
    const other = await registry.run('lookup_customer', '{"phone_number":"+442079460000"}', testToolContext());
    expect(other.errorCode).toBe('tool_invalid_arguments');
    expect(JSON.parse(other.output).error).toMatch(/own record/);
    expect(n8n.requests.length).toBe(before);
    // The caller's own number, named explicitly, is fine.
    const own = await registry.run('lookup_customer', '{"phone_number":"+14155550100"}', testToolContext());
    expect(own.ok).toBe(true);
  });

  it('refuses a number that is not E.164, and a browser call with no number', async () => {
    const bad = await registry.run('lookup_customer', '{"phone_number":"555-0100"}', testToolContext());
    expect(bad.errorCode).toBe('tool_invalid_arguments');
    expect(JSON.parse(bad.output).error).toMatch(/E\.164/);
    const none = await registry.run('lookup_customer', '{}', testToolContext({ kind: 'browser', from: undefined }));
    expect(none.errorCode).toBe('tool_invalid_arguments');
  });

  it("unwraps n8n's one-item array", async () => {
    n8n.asItems = true;
    const result = await registry.run('lookup_customer', '{}', testToolContext());
    expect(JSON.parse(result.output).customer.id).toBe('cus_1001');
  });

  it('is refused by the workflow when the signature is wrong', async () => {
    n8n.secret = 'another-secret';
    const result = await registry.run('lookup_customer', '{}', testToolContext());
    expect(result.errorCode).toBe('tool_failed');
    expect(JSON.parse(result.output).error).toMatch(/answered 403/);
  });

  it.each(FAILURE_MODES)('answers %s as %s', async (mode, code) => {
    n8n.mode = mode;
    const result = await (mode === 'hang' ? tight : registry).run('lookup_customer', '{}', testToolContext());
    expect(result).toMatchObject({ ok: false, errorCode: code });
  });
});

describe('knowledge_base', () => {
  it('answers the text and its sources', async () => {
    const result = await registry.run('knowledge_base', '{"query":"When are you open?"}', testToolContext());
    expect(result.ok).toBe(true);
    const out = JSON.parse(result.output);
    expect(out.answer).toMatch(/8am to 6pm.*When are you open\?/);
    expect(out.sources).toEqual([{ title: 'Support hours', url: 'https://kb.example.com/support-hours' }]);
    expect(n8n.signatureValid(n8n.requests.at(-1)!)).toBe(true);
  });

  it('refuses an empty query', async () => {
    const result = await registry.run('knowledge_base', '{"query":"   "}', testToolContext());
    expect(result.errorCode).toBe('tool_invalid_arguments');
  });

  it.each(FAILURE_MODES)('answers %s as %s', async (mode, code) => {
    n8n.mode = mode;
    const result = await (mode === 'hang' ? tight : registry).run(
      'knowledge_base',
      '{"query":"hours"}',
      testToolContext(),
    );
    expect(result).toMatchObject({ ok: false, errorCode: code });
  });
});
