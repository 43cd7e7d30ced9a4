import { RawWsClient } from './raw-ws-client.ts';
import { Histogram } from '../../core/histogram.ts';

export type LoadKind = 'twilio' | 'realtime' | 'echo';

/**
 * Paced load for the relay bench: `calls` clients, each sending one 20 ms frame (160 bytes of mu-law) every 20 ms and
 * timing each frame's round trip by a sequence number in its first bytes. Twilio clients speak Media Streams and echo
 * marks at once (playback is not what is measured); realtime clients speak `input_audio_buffer.append` straight to the
 * simulator; echo clients send the same media frame to a bare echo server.
 */
export interface LoadResult {
  sent: number;
  received: number;
  rtt: Histogram;
}

interface Client {
  ws: RawWsClient;
  id: number;
  seq: number;
  sentAt: Float64Array;
  streamSid: string;
}

const RING = 1024;

export async function runLoad(url: string, kind: LoadKind, calls: number, warmupMs: number, measureMs: number): Promise<LoadResult> {
  const clients: Client[] = [];
  const rtt = new Histogram();
  let measuring = false;
  let sent = 0;
  let received = 0;
  const frame = Buffer.alloc(160, 0x7f);

  const onPayload = (c: Client, payload: string) => {
    const seq = Buffer.from(payload.slice(0, 8), 'base64').readUInt32LE(0);
    const at = c.sentAt[seq % RING]!;
    if (measuring) {
      received++;
      if (at > 0) rtt.record(performance.now() - at);
    }
  };

  await Promise.all(
    Array.from({ length: calls }, async (_, id) => {
      const c: Client = { ws: undefined as unknown as RawWsClient, id, seq: 0, sentAt: new Float64Array(RING), streamSid: `MZbench${id}` };
      clients.push(c);
      c.ws = await RawWsClient.connect(url, (text) => {
        const p = text.indexOf(kind === 'realtime' ? '"delta":"' : '"payload":"');
        if (p >= 0) {
          onPayload(c, text.slice(p + (kind === 'realtime' ? 9 : 11)));
          return;
        }
        if (kind === 'twilio' && text.includes('"event":"mark"')) c.ws.sendText(text); // echo the mark as played
      });
      if (kind === 'twilio') {
        c.ws.sendText(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
        c.ws.sendText(
          JSON.stringify({
            event: 'start',
            sequenceNumber: '1',
            streamSid: c.streamSid,
            start: { streamSid: c.streamSid, callSid: `CAbench${id}`, accountSid: 'AC0', tracks: ['inbound'], customParameters: {} },
          }),
        );
      }
    }),
  );

  const sendFrame = (c: Client) => {
    const seq = ++c.seq;
    frame.writeUInt32LE(seq, 0);
    const payload = frame.toString('base64');
    c.sentAt[seq % RING] = performance.now();
    const text =
      kind === 'realtime'
        ? `{"type":"input_audio_buffer.append","audio":"${payload}"}`
        : `{"event":"media","streamSid":"${c.streamSid}","sequenceNumber":"${seq}","media":{"track":"inbound","chunk":"${seq}","timestamp":"${seq * 20}","payload":"${payload}"}}`;
    c.ws.sendText(text);
    if (measuring) sent++;
  };

  // Spread the calls evenly over each 20 ms period, as independent calls would be.
  const t0 = performance.now();
  let tick = 0;
  await new Promise<void>((resolve) => {
    const slots = 4;
    const step = () => {
      const elapsed = performance.now() - t0;
      if (!measuring && elapsed >= warmupMs) measuring = true;
      if (elapsed >= warmupMs + measureMs) return resolve();
      const slot = tick % slots;
      for (let i = slot; i < clients.length; i += slots) sendFrame(clients[i]!);
      tick++;
      setTimeout(step, Math.max(0, t0 + (tick * 20) / slots - performance.now()));
    };
    step();
  });
  measuring = false;
  for (const c of clients) c.ws.close();
  return { sent, received, rtt };
}
