import { afterEach, describe, expect, it } from 'vitest';
import { mulawDecode } from '../../codecs/g711.ts';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { type Harness, startHarness, waitFor } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Zero crossings per second of 8 kHz PCM: twice the frequency of a pure tone. */
function toneHz(pcm: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) crossings++;
  return crossings / 2 / (pcm.length / rate);
}

describe('a phone call to a PCM model (MODEL_AUDIO=pcm16)', () => {
  it('transcodes mu-law 8 kHz to PCM16 24 kHz on the way in and back on the way out, keeping length and pitch', async () => {
    h = await startHarness({ config: { MODEL_AUDIO: 'pcm16' } });
    const audio = turn(600, 700, 500);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 20 });
    await caller.call();
    const sim = await waitFor(() => h!.sim.sessions[0], 'the model session');
    expect(sim.inputFormat).toEqual({ codec: 'pcm16', rate: 24000 });
    expect(sim.outputFormat).toEqual({ codec: 'pcm16', rate: 24000 });
    // 8 kHz mu-law bytes become 24 kHz 16-bit samples: six bytes for each, less the resampler's small delay.
    await waitFor(() => sim.inputBytes >= audio.byteLength * 6 - 400, 'the caller audio at the model, resampled');
    expect(sim.inputBytes).toBeLessThanOrEqual(audio.byteLength * 6);
    const heardByModel = new Int16Array(sim.inputAudio.buffer.slice(sim.inputAudio.byteOffset, sim.inputAudio.byteOffset + 600 * 48));
    expect(Math.abs(toneHz(heardByModel.subarray(2400), 24000) - 500)).toBeLessThan(15);

    // The answer (the caller's speech played back, in PCM) comes back as mu-law of the same length and pitch.
    await waitFor(() => !sim.activeResponseId && sim.outputAudio.byteLength > 0, 'the answer');
    const answerMs = sim.outputAudio.byteLength / 48;
    await waitFor(() => caller.receivedBytes().byteLength >= answerMs * 8 - 2, 'the answer at the caller');
    const got = caller.receivedBytes();
    expect(Math.abs(got.byteLength / 8 - answerMs)).toBeLessThanOrEqual(1);
    const pcm = mulawDecode(got);
    expect(Math.abs(toneHz(pcm.subarray(800, 800 + 2400), 8000) - 500)).toBeLessThan(15);
    caller.hangUp();
  });
});
