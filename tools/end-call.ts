import { z } from 'zod';
import { ToolError } from '../core/errors.ts';
import { defineTool, type Tool, type ToolContext } from './define-tool.ts';
import { type TwilioRestTarget, updateCall } from './twilio-calls.ts';

/** How long a hang-up or transfer waits for the goodbye to play before going ahead anyway. */
export const PLAYBACK_WAIT_MS = 8000;

/** Hangs up the phone call through Twilio's REST API once what the caller has been sent has played. */
export function endCall(target: TwilioRestTarget): Tool {
  return defineTool({
    name: 'end_call',
    description: 'End the phone call. Say goodbye first: the call ends after your last words have played.',
    parameters: z.object({}),
    timeoutMs: PLAYBACK_WAIT_MS + target.timeoutMs,
    async run(_args, ctx) {
      const callSid = requireCallSid(ctx);
      await playbackDoneOrTimeout(ctx);
      const call = await updateCall(target, callSid, { status: 'completed' }, ctx.signal);
      return { ended: true, status: call.status };
    },
  });
}

export function requireCallSid(ctx: ToolContext): string {
  if (!ctx.callSid)
    throw new ToolError('tool_failed', 'this is not a phone call, so it cannot be ended or transferred');
  return ctx.callSid;
}

/**
 * Waits for the audio sent so far to play, up to PLAYBACK_WAIT_MS: a leg that never reports playback must not keep
 * the caller on the line. Rejects when the call ends meanwhile (nothing left to hang up).
 */
export async function playbackDoneOrTimeout(ctx: ToolContext): Promise<void> {
  const bound = AbortSignal.any([ctx.signal, AbortSignal.timeout(PLAYBACK_WAIT_MS)]);
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      if (ctx.signal.aborted) reject(ctx.signal.reason);
      else resolve();
    };
    if (bound.aborted) return onAbort();
    bound.addEventListener('abort', onAbort, { once: true });
    ctx.playbackDone().then(
      () => {
        bound.removeEventListener('abort', onAbort);
        resolve();
      },
      () => {
        bound.removeEventListener('abort', onAbort);
        resolve();
      },
    );
  });
}
