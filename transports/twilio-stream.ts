import uWS from 'uWebSockets.js';
import type { CallerLeg } from '../core/caller-leg.ts';
import type { Logger } from '../core/log.ts';
import { SpentTokens, checkStreamToken, streamTokenKey } from './stream-token.ts';
import type { StartMessage } from './twilio-messages.ts';
import { TwilioLeg } from './twilio-leg.ts';
import { publicUrl, validTwilioSignature } from './twilio-signature.ts';

/** Twilio sends 20 ms frames of ~300 bytes; anything near this is not Twilio. */
const MAX_FRAME_BYTES = 64 * 1024;
/** Outbound audio Twilio has not taken yet (≈ 2 minutes of mu-law); past it frames are dropped and counted. */
const MAX_BACKPRESSURE = 1024 * 1024;

interface StreamData {
  leg?: TwilioLeg;
  log: Logger;
  /** False once either side closed: nothing is written to a closed uWS socket. */
  open: boolean;
}

export interface StreamRouteOptions {
  log: Logger;
  authToken?: string;
  publicBase?: string;
  /** The stream started and was authorized: make the session. Throwing closes this stream only. */
  onCall(leg: CallerLeg & TwilioLeg): void;
  /** A frame arrived that was too large or binary (counted gateway-wide). */
  onInvalid(): void;
}

/**
 * `WS /call`: a Twilio media stream. With TWILIO_AUTH_TOKEN set, the upgrade must carry a valid X-Twilio-Signature
 * and the `start` message a valid stream token for its CallSid; otherwise the stream is closed before any audio
 * reaches a model.
 */
export function registerTwilioStreamRoute(app: uWS.TemplatedApp, opts: StreamRouteOptions): void {
  const tokenKey = opts.authToken ? streamTokenKey(opts.authToken) : undefined;
  const spent = new SpentTokens();
  const authorize = (start: StartMessage): string | undefined => {
    if (!tokenKey) return undefined;
    const token = start.start.customParameters?.token;
    const refusal = checkStreamToken(tokenKey, token, start.start.callSid);
    if (refusal) return refusal;
    return spent.spend(token!) ? undefined : 'stream token already used';
  };

  app.ws<StreamData>('/call', {
    compression: uWS.DISABLED,
    maxPayloadLength: MAX_FRAME_BYTES,
    maxBackpressure: MAX_BACKPRESSURE,
    closeOnBackpressureLimit: 0,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      if (opts.authToken) {
        const url = publicUrl(opts.publicBase, req.getHeader('host'), '/call', req.getQuery() ?? '', 'ws', req.getHeader('x-forwarded-proto'));
        if (!validTwilioSignature(opts.authToken, req.getHeader('x-twilio-signature'), url, {})) {
          opts.log.warn('media stream upgrade refused: bad signature');
          res.cork(() => res.writeStatus('403 Forbidden').end('bad signature'));
          return;
        }
      }
      res.upgrade<StreamData>(
        { log: opts.log, open: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      data.open = true;
      const leg = new TwilioLeg({
        log: data.log,
        authorize,
        onInvalid: () => opts.onInvalid(),
        send: (text) => data.open && ws.send(text, false) !== 2,
        cork: (fn) => {
          if (data.open) ws.cork(fn);
        },
        end: (code, reason) => {
          if (!data.open) return;
          data.open = false;
          ws.end(code, reason);
        },
      });
      leg.events.once('start', () => {
        try {
          opts.onCall(leg);
        } catch (err) {
          data.log.error({ err }, 'could not start session');
          leg.close('internal error');
        }
      });
      data.leg = leg;
    },
    message: (ws, message, isBinary) => {
      const leg = ws.getUserData().leg;
      if (!leg) return;
      if (isBinary) {
        opts.onInvalid();
        return;
      }
      // The message's memory is reused after this callback: decode it now. Nothing thrown while handling one call's
      // message may leave this callback: from here it would end the process and every other call with it.
      try {
        leg.onMessage(Buffer.from(message).toString('utf8'));
      } catch (err) {
        ws.getUserData().log.error({ err }, 'media stream message failed: call closed');
        leg.close('internal error');
      }
    },
    close: (ws, code, message) => {
      const data = ws.getUserData();
      data.open = false;
      // A frame over maxPayloadLength: uWS has closed this socket (this call alone) and says why.
      if (code === 1009 || (code === 1006 && Buffer.from(message).toString().includes('too big'))) {
        data.log.warn({ code }, 'media stream frame too large: stream closed');
        opts.onInvalid();
      }
      data.leg?.socketClosed(code === 1000 ? 'stream closed' : `stream dropped (${code})`);
    },
  });
}
