import VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import { z } from 'zod';
import { defineTool, type Tool } from './define-tool.ts';
import { playbackDoneOrTimeout, requireCallSid, PLAYBACK_WAIT_MS } from './end-call.ts';
import { e164Schema } from './phone-number.ts';
import { type TwilioRestTarget, updateCall } from './twilio-calls.ts';

/**
 * Transfers the phone call to another number: Twilio replaces the call's TwiML with a `<Dial>`, which also ends the
 * media stream (and so this session) once the transfer starts.
 */
export function transferCall(target: TwilioRestTarget): Tool {
  return defineTool({
    name: 'transfer_call',
    description: 'Transfer the caller to another phone number. Tell the caller first; the transfer starts after that.',
    parameters: z.object({ phone_number: e164Schema.describe('E.164 number to transfer to, such as +14155550100') }),
    timeoutMs: PLAYBACK_WAIT_MS + target.timeoutMs,
    async run({ phone_number }, ctx) {
      const callSid = requireCallSid(ctx);
      await playbackDoneOrTimeout(ctx);
      const call = await updateCall(target, callSid, { twiml: dialTwiml(phone_number) }, ctx.signal);
      return { transferred: true, status: call.status };
    },
  });
}

/** `<Response><Dial>+1…</Dial></Response>`, built by Twilio's own TwiML writer so escaping is theirs. */
export function dialTwiml(number: string): string {
  const twiml = new VoiceResponse();
  twiml.dial(number);
  return twiml.toString();
}
