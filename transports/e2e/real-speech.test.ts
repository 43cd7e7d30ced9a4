import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { concatAudio, silence } from '../../bench/callers/speech-fixtures.ts';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { callerAudioFromWav, loadCallerAudio } from '../../bench/callers/wav-fixture.ts';
import { type Harness, sessionFor, startHarness, waitFor } from './harness.ts';

let h: Harness | undefined;
let dir = '';
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args);
  if (r.error) throw new Error(`${cmd} is required for this test (apt-get install ${cmd}): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.toString()}`);
}

/** One call with real speech; returns the model session and the caller once the answer has been heard. */
async function speak(harness: Harness, speech: Uint8Array) {
  const audio = concatAudio(speech, silence(900));
  const caller = new TwilioCaller({ url: harness.callUrl, audio, pace: 10 });
  await caller.call();
  const sim = await waitFor(() => sessionFor(harness.sim, audio), 'the model session');
  await waitFor(() => sim.inputBytes >= audio.byteLength, 'all the speech at the model');
  await waitFor(() => sim.outputAudio.byteLength > 0 && !sim.activeResponseId, 'the answer', 10_000);
  await waitFor(() => caller.receivedBytes().byteLength >= sim.outputAudio.byteLength, 'the answer at the caller');
  return { sim, caller, audio };
}

describe('a caller speaking real words', () => {
  it('streams a recorded WAV sentence: one turn at the model, exact bytes both ways', async () => {
    h = await startHarness();
    const speech = loadCallerAudio(new URL('../../bench/fixtures/caller-weather.wav', import.meta.url));
    expect(speech.byteLength).toBeGreaterThan(8000 * 3); // ~3.8 s of speech
    const { sim, caller, audio } = await speak(h, speech);
    expect(Buffer.from(sim.inputAudio).equals(Buffer.from(audio))).toBe(true);
    // Pauses between words are shorter than the VAD's silence window: the sentence is one turn.
    expect(sim.items.filter((i) => i.role === 'user')).toHaveLength(1);
    expect(Buffer.from(caller.receivedBytes()).equals(Buffer.from(sim.outputAudio))).toBe(true);
    caller.hangUp();
  });

  it('streams speech synthesised now (espeak-ng, 16 kHz PCM WAV converted to phone audio)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vb-speech-'));
    run('espeak-ng', ['-w', join(dir, 'raw.wav'), 'Please transfer me to a person.']);
    run('sox', [join(dir, 'raw.wav'), '-D', '-r', '16000', '-e', 'signed', '-b', '16', '-c', '1', join(dir, 'speech.wav')]);
    const speech = callerAudioFromWav(readFileSync(join(dir, 'speech.wav')));
    expect(speech.byteLength).toBeGreaterThan(8000); // over a second of 8 kHz mu-law
    h = await startHarness();
    const { sim, caller } = await speak(h, speech);
    expect(sim.items.filter((i) => i.role === 'user')).toHaveLength(1);
    expect(sim.outputAudio.byteLength).toBeGreaterThan(4000); // the spoken part, played back
    caller.hangUp();
  });
});
