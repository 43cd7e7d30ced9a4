import { setTimeout as sleep } from 'node:timers/promises';
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { RealtimeSimulator } from '../core/realtime/simulator.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { TwilioCaller } from './callers/twilio-caller.ts';
import { talkSpurt } from './callers/speech-fixtures.ts';
import { waitFor } from '../core/wait-for.ts';

/**
 * What does the session add to a conversation's timing, and how accurate is barge-in?
 *
 * Callers (Twilio wire format) and the simulator share this process, so one clock times every hop; the gateway runs in
 * its own process (as deployed), so its event loop is its own:
 * - voice to voice: the caller's frame that ends the turn → the model's `speech_stopped` (inbound), and the model's
 *   first audio delta → the caller's first media (outbound), with the simulator answering at once. "Added" subtracts
 *   what the same two hops cost with no gateway between (one loopback WebSocket transit each way, measured here);
 * - barge-in: the model's `speech_started` → the caller receives `clear` (end to end), and inside the gateway,
 *   `speech_started` handled → `clear` sent;
 * - truncation error: |`audio_end_ms` the gateway sent − what the caller itself had played of the item when the clear
 *   arrived|, with callers playing at real time and interrupting at random points of long answers.
 */

function pct(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const gatewayChild = fileURLToPath(new URL('./relay/child.ts', import.meta.url));

/** The simulator here, the gateway in a child process aimed at it. */
async function rig(sim: ConstructorParameters<typeof RealtimeSimulator>[0]) {
  const simulator = new RealtimeSimulator({ keepEnded: 10_000, ...sim });
  await simulator.start();
  const proc = fork(gatewayChild, ['gateway'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SIM_URL: simulator.url },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (m: { type: string; port: number }) => (m.type === 'ready' ? resolve(m.port) : reject(new Error('bad ready'))));
    proc.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  return {
    simulator,
    url: `ws://127.0.0.1:${port}/call`,
    /** A summary's p50 and p99 (ms) from the gateway's /metrics. */
    async metric(name: string): Promise<Summary> {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const read = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
      return {
        p50: read(new RegExp(`^${name}\\{quantile="0.5"\\} (\\S+)$`, 'm')) * 1000,
        p99: read(new RegExp(`^${name}\\{quantile="0.99"\\} (\\S+)$`, 'm')) * 1000,
        count: read(new RegExp(`^${name}_count (\\S+)$`, 'm')),
      };
    },
    async close() {
      proc.kill('SIGKILL');
      simulator.close();
    },
  };
}

/**
 * One loopback WebSocket transit to another process and back, halved (ws client here, a bare uWS echo server in a
 * child, a media-sized JSON message): what a hop between two processes costs with no gateway code in it.
 */
async function transitMs(samples: number): Promise<number[]> {
  const proc = fork(gatewayChild, ['echo'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => proc.once('message', (m: { port: number }) => resolve(m.port)));
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  const payload = JSON.stringify({ event: 'media', streamSid: 'MZ', media: { payload: Buffer.alloc(160, 0xff).toString('base64') } });
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await new Promise<void>((r) => {
      ws.once('message', () => r());
      ws.send(payload);
    });
    out.push((performance.now() - t0) / 2);
    // Spaced like a turn's messages, so each transit wakes an idle process as the real ones do.
    await sleep(10);
  }
  ws.close();
  proc.kill('SIGKILL');
  return out;
}

interface Summary {
  p50: number;
  p99: number;
  count: number;
}

/**
 * Calls taking turns at real time (a phone line's pace: the gateway's load is what production sees, and the bench
 * process stays light enough not to be the one adding latency), the model answering at once with a short tone.
 */
async function voiceToVoice(calls: number, turns: number): Promise<{ inbound: number[]; outbound: number[]; frameOut: Summary; frameIn: Summary }> {
  const r = await rig({ firstAudioDelayMs: 0, realtimeFactor: Number.POSITIVE_INFINITY, answer: () => ({ toneMs: 100 }) });
  const inbound: number[] = [];
  const outbound: number[] = [];
  const runCall = async (i: number) => {
    const caller = new TwilioCaller({ url: r.url, audio: new Uint8Array(0), pace: 1, continuous: true });
    const spurt = talkSpurt(200, 300 + i * 13, 7000 + i * 50);
    await caller.call();
    for (let t = 0; t < turns; t++) {
      await caller.speak(spurt, 0);
      const spoke = performance.now();
      await waitFor(() => caller.received.some((m) => m.at > spoke && m.event.event === 'media'), 'the answer', 3000, 2);
      await sleep(150 + ((i * 37) % 100));
    }
    caller.hangUp();
    // This call's model session: the one that heard this call's (distinct) speech.
    const probe = Buffer.from(spurt.subarray(400, 560));
    const sim = r.simulator.sessions.find((s) => Buffer.from(s.inputAudio).indexOf(probe) >= 0);
    if (!sim) throw new Error(`call ${i}: no model session heard it`);
    // Pair each speech_stopped with the first delta after it and the caller's first media after that.
    const tl = sim.timeline;
    for (const [k, e] of tl.entries()) {
      if (e.type !== 'speech_stopped') continue;
      const frame = Math.floor((e.audioMs! - 1) / 20);
      const sentAt = caller.frameSentAt[frame];
      const delta = tl.slice(k).find((x) => x.type === 'first_delta');
      if (sentAt === undefined || !delta) continue;
      const media = caller.received.find((m) => m.at >= delta.at && m.event.event === 'media');
      if (!media) continue;
      inbound.push(e.at - sentAt);
      outbound.push(media.at - delta.at);
    }
  };
  await Promise.all(Array.from({ length: calls }, (_, i) => runCall(i)));
  const frameOut = await r.metric('voxbridge_frame_latency_seconds');
  const frameIn = await r.metric('voxbridge_inbound_frame_latency_seconds');
  await r.close();
  return { inbound, outbound, frameOut, frameIn };
}

interface Truncation {
  errors: number[];
  bargeEndToEnd: number[];
  bargeInGateway: Summary;
}

/** Callers at real time, each interrupting long answers at random points, several times per call. */
async function truncation(calls: number, perCall: number): Promise<Truncation> {
  const r = await rig({ firstAudioDelayMs: 30, realtimeFactor: 4, deltaMs: 100, answer: () => ({ toneMs: 2600 }) });
  const callers: TwilioCaller[] = [];
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const runCall = async (i: number) => {
    const caller = new TwilioCaller({ url: r.url, audio: new Uint8Array(0), pace: 1, continuous: true });
    callers.push(caller);
    await caller.call();
    await sleep(i * 37); // spread the calls' turns
    await caller.speak(talkSpurt(200, 350 + i * 11), 0);
    for (let k = 0; k < perCall; k++) {
      const after = performance.now();
      const first = await waitForMedia(caller, after, 4000);
      const offset = 40 + rand() * 2300;
      await sleep(Math.max(0, first + offset - performance.now()));
      const clears = caller.clearLog.length;
      await caller.speak(talkSpurt(200, 350 + i * 11), 0);
      await waitFor(() => caller.clearLog.length > clears, 'the clear', 3000, 2);
    }
    caller.hangUp();
  };
  await Promise.all(Array.from({ length: calls }, (_, i) => runCall(i)));
  await sleep(100);
  const truncates = new Map<string, number>();
  const startedAt = new Map<string, number>();
  for (const s of r.simulator.sessions) {
    for (const rec of s.received) {
      if (rec.type !== 'conversation.item.truncate') continue;
      const e = rec.event as { item_id: string; audio_end_ms: number };
      truncates.set(e.item_id, e.audio_end_ms);
    }
    for (const e of s.timeline) if (e.type === 'speech_started') startedAt.set(e.id, e.at);
  }
  const errors: number[] = [];
  const bargeEndToEnd: number[] = [];
  for (const c of callers) {
    for (const clear of c.clearLog) {
      const sent = clear.itemId ? truncates.get(clear.itemId) : undefined;
      if (sent !== undefined) errors.push(Math.abs(sent - clear.heardMs));
    }
  }
  // speech_started → clear at the caller: each clear pairs with the latest speech_started before it in its session.
  for (const c of callers) {
    for (const clear of c.clearLog) {
      const sim = r.simulator.sessions.find((s) => s.items.some((it) => it.id === clear.itemId));
      const start = sim?.timeline.findLast((e) => e.type === 'speech_started' && e.at <= clear.at);
      if (start) bargeEndToEnd.push(clear.at - start.at);
    }
  }
  const bargeInGateway = await r.metric('voxbridge_barge_in_to_clear_seconds');
  await r.close();
  return { errors, bargeEndToEnd, bargeInGateway };
}

async function waitForMedia(caller: TwilioCaller, after: number, timeoutMs: number): Promise<number> {
  return waitFor(() => caller.received.find((m) => m.at > after && m.event.event === 'media')?.at, 'media', timeoutMs, 2);
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const loadBefore = os.loadavg()[0]!;
  const transit = await transitMs(ctx.quick ? 200 : 600);
  const v = await voiceToVoice(ctx.quick ? 4 : 10, ctx.quick ? 15 : 40);
  const direct = pct(transit, 0.5) * 2;
  const added = v.inbound.map((x, i) => Math.max(0, x + v.outbound[i]! - direct));
  const t = await truncation(ctx.quick ? 6 : 16, ctx.quick ? 4 : 8);
  const row = (name: string, values: number[], target: string): Array<string | number> => [name, values.length, pct(values, 0.5), pct(values, 0.99), Math.max(...values), target];
  return {
    name: 'session',
    tables: [
      {
        title: 'Session timing: what the gateway adds to a turn, barge-in, truncation accuracy (ms)',
        columns: ['measure', 'n', 'p50', 'p99', 'max', 'target'],
        rows: [
          [
            'voice-to-voice added by the gateway: its work on a turn (one inbound + one outbound frame)',
            v.frameIn.count + v.frameOut.count,
            v.frameIn.p50 + v.frameOut.p50,
            v.frameIn.p99 + v.frameOut.p99,
            '—',
            '≤ 2 p99',
          ],
          ['  inbound frame: caller message in → model socket', v.frameIn.count, v.frameIn.p50, v.frameIn.p99, '—', ''],
          ['  outbound frame: model message in → caller socket', v.frameOut.count, v.frameOut.p50, v.frameOut.p99, '—', ''],
          row('voice-to-voice, end to end: both hops through the gateway − a direct hop each way', added, ''),
          row('  inbound hop: caller frame → model speech_stopped', v.inbound, ''),
          row('  outbound hop: model first delta → caller media', v.outbound, ''),
          row('  one process-to-process loopback transit (no gateway)', transit, ''),
          ['barge-in to clear, inside the gateway', t.bargeInGateway.count, t.bargeInGateway.p50, t.bargeInGateway.p99, '—', '≤ 5 p99'],
          row('barge-in to clear, end to end (model speech_started → caller has clear)', t.bargeEndToEnd, ''),
          row('truncation error |audio_end_ms − caller heard|', t.errors, '≤ 60 p99'),
        ],
      },
    ],
    notes: [
      `voice to voice: ${ctx.quick ? 4 : 10} calls × ${ctx.quick ? 15 : 40} turns at once, callers at real time, simulator answering with no delay. The gateway's work is measured inside it (socket message handed to JS → written to the other socket; p99 of the sum ≤ sum of p99s, shown). End to end, a path through the gateway crosses one more process each way than a direct one; "− a direct hop" subtracts 2 × the p50 transit, so what remains also holds the extra wake-ups of a process on this VM, not only gateway code.`,
      `truncation: ${ctx.quick ? 6 : 16} calls at real time, ${ctx.quick ? 4 : 8} interruptions each at random points (40–2340 ms) of 2.6 s answers streamed at 4× real time; the truth is the caller's own playback record.`,
      'Gateway-internal histograms have ~4% bucket resolution; the other figures are exact order statistics.',
      `Load average (1 min) at start ${loadBefore.toFixed(2)}, at end ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores: tails on a shared machine are mostly scheduling; the loopback transit row, which involves no gateway, shows the noise floor.`,
    ],
  };
}
