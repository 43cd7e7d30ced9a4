import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { PCMU_8K } from '../audio-format.ts';
import { createLogger } from '../log.ts';
import { waitFor } from '../wait-for.ts';
import { RealtimeLeg } from './realtime-leg.ts';

let server: WebSocketServer | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** A model endpoint that answers every connection with the given raw messages (the edge we cannot reach). */
async function modelSaying(messages: string[]): Promise<string> {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => server!.once('listening', r));
  server.on('connection', (ws) => {
    for (const m of messages) ws.send(m);
  });
  const { port } = server.address() as { port: number };
  return `ws://127.0.0.1:${port}/v1/realtime`;
}

function leg(url: string): RealtimeLeg {
  return new RealtimeLeg({ url, model: 'm', mode: 'ga', inputFormat: PCMU_8K, outputFormat: PCMU_8K, log: createLogger('silent') });
}

describe('RealtimeLeg against a misbehaving model', () => {
  it('survives events named after Object.prototype members, and an error event nobody listens to yet', async () => {
    const url = await modelSaying([
      '{"type":"hasOwnProperty"}',
      '{"type":"__proto__"}',
      '{"type":"constructor"}',
      '{"type":"error","error":{"type":"invalid_request_error","code":"invalid_value","message":"bad voice"}}',
      'not json',
      '{"type":"response.output_audio.delta","item_id":"i1","delta":"////"}',
    ]);
    // Like a leg prewarmed at /twiml: no session (and no listeners) yet.
    const l = leg(url);
    const audio: string[] = [];
    l.onAudio = (c) => audio.push(c.wire!);
    await waitFor(() => audio.length > 0, 'the audio after the odd events', 3000);
    expect(audio).toEqual(['////']);
    expect(l.counters.invalid).toBe(1); // the non-JSON message
    expect(l.usable).toBe(true);
    l.close();
  });
});

describe('RealtimeLeg memory', () => {
  it('remembers a bounded number of items, even when deltas name items never announced', async () => {
    const deltas = Array.from({ length: 200 }, (_, i) => `{"type":"response.output_audio.delta","item_id":"x${i}","delta":"//8="}`);
    const url = await modelSaying(deltas);
    const l = leg(url);
    let n = 0;
    l.onAudio = () => n++;
    await waitFor(() => n === 200, 'all 200 deltas', 3000);
    expect(n).toBe(200);
    expect(l.audioMsOf('x199')).toBe(2 / 8); // the newest is known: 2 bytes of mu-law
    expect(l.audioMsOf('x0')).toBe(0); // the oldest was forgotten
    l.close();
  });
});
