import type uWS from 'uWebSockets.js';
// The deep import loads in a fraction of the whole package's time.
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import type { GatewayContext } from '../core/gateway-context.ts';
import { HttpError, parseForm, readBody, reply, send, sendError } from './http.ts';
import { makeStreamToken, streamTokenKey } from './stream-token.ts';
import { publicUrl, validTwilioSignature } from './twilio-signature.ts';

export interface TwimlHooks {
  /** A call is known (CallSid): open its model socket now, so the first turn does not wait for the handshake. */
  prewarm(callSid: string): void;
}

/**
 * `GET|POST /twiml`: Twilio's webhook for an incoming call. Answers `<Connect><Stream url="wss://…/call">` with the
 * call's data as `<Parameter>`s (never in the URL) and a short-lived signed token the stream must present on `start`.
 * With TWILIO_AUTH_TOKEN set, an unsigned or wrongly signed request gets 403.
 */
export function registerTwimlRoute(app: uWS.TemplatedApp, ctx: GatewayContext, hooks: TwimlHooks): void {
  const authToken = ctx.config.TWILIO_AUTH_TOKEN;
  const tokenKey = authToken ? streamTokenKey(authToken) : undefined;

  const handle = async (res: uWS.HttpResponse, req: uWS.HttpRequest, method: 'GET' | 'POST') => {
    const r = reply(res);
    const host = req.getHeader('host');
    const query = req.getQuery() ?? '';
    const signature = req.getHeader('x-twilio-signature');
    const forwardedProto = req.getHeader('x-forwarded-proto');
    try {
      const body = method === 'POST' ? await readBody(r, 64 * 1024) : Buffer.alloc(0);
      const params = method === 'POST' ? parseForm(body) : parseForm(query);
      if (authToken) {
        const url = publicUrl(ctx.config.PUBLIC_URL, host, '/twiml', query, 'http', forwardedProto);
        const signed = validTwilioSignature(authToken, signature, url, method === 'POST' ? params : {});
        if (!signed) throw new HttpError(403, 'bad_signature', 'X-Twilio-Signature does not match');
      }
      const callSid = params.CallSid ?? '';
      if (callSid) hooks.prewarm(callSid);
      const streamUrl = publicUrl(ctx.config.PUBLIC_URL, host, '/call', '', 'ws', forwardedProto);
      const twiml = new VoiceResponse();
      const stream = twiml.connect().stream({ url: streamUrl });
      if (params.From) stream.parameter({ name: 'from', value: params.From });
      if (params.To) stream.parameter({ name: 'to', value: params.To });
      if (tokenKey && callSid) stream.parameter({ name: 'token', value: makeStreamToken(tokenKey, callSid, ctx.config.STREAM_TOKEN_TTL_S) });
      send(r, 200, twiml.toString(), 'text/xml');
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.log.warn({ status: err.status, code: err.code }, 'twiml request refused');
        sendError(r, err);
      } else {
        ctx.log.error({ err }, 'twiml failed');
        sendError(r, new HttpError(500, 'internal', 'internal error'));
      }
    }
  };
  app.get('/twiml', (res, req) => void handle(res, req, 'GET'));
  app.post('/twiml', (res, req) => void handle(res, req, 'POST'));
}
