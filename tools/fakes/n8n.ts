import { verifySignature, SIGNATURE_HEADER } from '../n8n-signature.ts';
import {
  type FakeResponse,
  type FakeServer,
  type FakeServerOptions,
  type RecordedRequest,
  startFakeServer,
} from './fake-server.ts';

export const CUSTOMER_LOOKUP_PATH = '/webhook/customer-lookup';
export const KNOWLEDGE_BASE_PATH = '/webhook/knowledge-base';

export interface FakeCustomer {
  customer: { id: string; name: string; email: string; phone: string; plan: string; since: string };
  recentActivity: { at: string; type: string; summary: string }[];
}

export const SAMPLE_CUSTOMERS: Record<string, FakeCustomer> = {
  '+14155550100': {
    customer: {
      id: 'cus_1001',
      name: 'Ada Byron',
      email: 'ada@example.com',
      phone: '+14155550100',
      plan: 'pro',
      since: '2023-04-02',
    },
    recentActivity: [
      { at: '2026-11-20T14:03:00Z', type: 'order', summary: 'Order #5521 shipped' },
      { at: '2026-11-18T09:41:00Z', type: 'ticket', summary: 'Asked about invoice 2026-10' },
    ],
  },
};

export interface FakeN8n extends FakeServer {
  /** The secret signatures are checked with; `signatureValid` of each request says whether it matched. */
  secret: string | undefined;
  customers: Record<string, FakeCustomer>;
  /** Answers for paths other than the two built-in workflows; default echoes `{received: body}`. */
  respond: (req: RecordedRequest) => FakeResponse;
  /** Whether the request's signature header matches its body under `secret`. */
  signatureValid(req: RecordedRequest): boolean;
  /** Arms n8n's "Respond to Webhook" with all items: answers are wrapped in an array. */
  asItems: boolean;
}

/**
 * n8n webhooks (`POST /webhook/<path>`) for the two workflows the built-ins call, answering what their "Respond to
 * Webhook" node would, plus n8n's own 404 for an unregistered path and any path the test wires through `respond`.
 */
export async function startFakeN8n(opts: FakeServerOptions & { secret?: string } = {}): Promise<FakeN8n> {
  let fake: FakeN8n;
  const server = await startFakeServer(
    (req) => {
      const out = route(fake, req);
      return fake.asItems && out.status === 200 ? { ...out, body: [out.body] } : out;
    },
    { errorBody: { message: 'Error in workflow' }, ...opts },
  );
  fake = Object.assign(server, {
    secret: opts.secret,
    customers: { ...SAMPLE_CUSTOMERS },
    asItems: false,
    respond: (req: RecordedRequest): FakeResponse => ({ status: 200, body: { received: parseJson(req.body) } }),
    signatureValid: (req: RecordedRequest) =>
      fake.secret !== undefined && verifySignature(fake.secret, req.body, header(req, SIGNATURE_HEADER)),
  });
  return fake;
}

function route(fake: FakeN8n, req: RecordedRequest): FakeResponse {
  const path = req.url.pathname;
  if (path === CUSTOMER_LOOKUP_PATH || path === KNOWLEDGE_BASE_PATH) {
    if (req.method !== 'POST') return notRegistered(req);
    if (fake.secret !== undefined && !fake.signatureValid(req))
      return { status: 403, body: { message: 'Invalid signature' } };
    const body = parseJson(req.body) as Record<string, unknown> | undefined;
    if (path === CUSTOMER_LOOKUP_PATH) {
      const phone = typeof body?.phoneNumber === 'string' ? body.phoneNumber : '';
      const found = fake.customers[phone];
      return { status: 200, body: found ? { found: true, ...found } : { found: false, phoneNumber: phone } };
    }
    const query = typeof body?.query === 'string' ? body.query : '';
    return {
      status: 200,
      body: {
        answer: `Our support line is open 8am to 6pm Monday to Friday. (You asked: ${query})`,
        sources: [{ title: 'Support hours', url: 'https://kb.example.com/support-hours' }],
      },
    };
  }
  return fake.respond(req);
}

function notRegistered(req: RecordedRequest): FakeResponse {
  return {
    status: 404,
    body: {
      code: 404,
      message: `The requested webhook "${req.method} ${req.url.pathname.replace(/^\/webhook\//, '')}" is not registered.`,
      hint: 'The workflow must be active for a production URL to run successfully.',
    },
  };
}

function header(req: RecordedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
