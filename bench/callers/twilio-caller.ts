import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

export interface TwilioCallerOptions {
  /** ws://host:port/call */
  url: string;
  /** mu-law 8 kHz audio the caller says, streamed in 20 ms frames. */
  audio: Uint8Array;
  /** 1 = real time; 2 = twice as fast; Infinity = all at once. */
  pace?: number;
  callSid?: string;
  customParameters?: Record<string, string>;
  /** Headers for the upgrade (X-Twilio-Signature). */
  headers?: Record<string, string>;
  /** Silence (mu-law 0xFF) streamed after the audio, so the far end's VAD hears the turn end. */
  trailingSilenceMs?: number;
  /** Do not send `start` (tests of media before start). */
  skipStart?: boolean;
  /**
   * Send silence whenever not speaking, from `call()` until hang-up, as Twilio does (a phone line is never quiet on
   * the wire). `speak()` then queues its audio into that stream.
   */
  continuous?: boolean;
}

/** A stretch of audio the caller heard: what played, and when (performance.now() ms). */
export interface HeardSegment {
  at: number;
  bytes: Uint8Array;
  /** The model item this audio belongs to, read from the `item@ms` mark that followed it. */
  itemId?: string;
}

/** What the caller had heard of the item playing when a `clear` arrived: the truth a truncation is judged by. */
export interface ClearRecord {
  at: number;
  itemId?: string;
  heardMs: number;
}

interface Queued {
  bytes: Uint8Array;
  itemId?: string;
  /** When this chunk starts and ends playing (performance.now() ms). */
  start: number;
  end: number;
}

interface QueuedMark {
  name: string;
  at: number;
  timer: NodeJS.Timeout;
}

const FRAME = 160;

/**
 * A caller that behaves like Twilio's Media Streams: `connected`, `start`, paced 20 ms `media` frames, and `stop`; it
 * plays what it receives at real time, echoes each `mark` when playback reaches it, and on `clear` drops what has not
 * played and echoes the pending marks at once (as Twilio does). It records everything it received and heard, with
 * times, so tests and the bench can measure latency, gaps and barge-in accuracy from the caller's side.
 */
export class TwilioCaller {
  readonly streamSid = `MZ${randomBytes(16).toString('hex')}`;
  readonly callSid: string;
  readonly received: Array<{ at: number; event: Record<string, unknown> }> = [];
  /** Every media payload received, in order, as bytes. */
  readonly receivedAudio: Uint8Array[] = [];
  readonly heard: HeardSegment[] = [];
  readonly echoedMarks: Array<{ name: string; at: number; afterClear: boolean }> = [];
  clears = 0;
  readonly clearLog: ClearRecord[] = [];
  /** performance.now() when the last caller frame was sent. */
  finishedSpeakingAt = 0;
  /** performance.now() of the first media received after each `finishedSpeaking`. */
  firstAudioAt: number[] = [];
  closed = false;
  closeCode = 0;
  opened: Promise<void>;

  #ws: WebSocket;
  #opts: TwilioCallerOptions;
  #seq = 0;
  #chunk = 0;
  #queue: Queued[] = [];
  #marks: QueuedMark[] = [];
  #playEnd = 0;
  #sendTimer: NodeJS.Timeout | undefined;
  #awaitingAnswer = false;
  #closedWaiters: Array<() => void> = [];
  /** Continuous mode: audio waiting to be spoken, and the frame clock. */
  #speech: Array<{ bytes: Uint8Array; offset: number; done: () => void }> = [];
  #lineStart = 0;
  #lineFrames = 0;
  readonly #silenceFrame = new Uint8Array(FRAME).fill(0xff);
  /** performance.now() at which each media frame was sent (continuous mode), by frame index from the start. */
  readonly frameSentAt: number[] = [];

  constructor(opts: TwilioCallerOptions) {
    this.#opts = opts;
    this.callSid = opts.callSid ?? `CA${randomBytes(16).toString('hex')}`;
    this.#ws = new WebSocket(opts.url, { headers: opts.headers, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.#ws.once('open', () => resolve());
      this.#ws.once('error', reject);
      this.#ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    this.opened.catch(() => {});
    this.#ws.on('message', (data) => this.#onMessage(data.toString()));
    this.#ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      this.#settlePlayback(performance.now());
      for (const w of this.#closedWaiters.splice(0)) w();
    });
    this.#ws.on('error', () => {});
  }

  /** Connects, sends `connected` and `start`, then streams the audio at the chosen pace. Resolves when all is sent. */
  async call(): Promise<void> {
    await this.opened;
    this.sendJson({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    if (!this.#opts.skipStart) this.start();
    if (this.#opts.continuous) {
      this.#lineStart = performance.now();
      this.#lineTick();
    }
    await this.speak(this.#opts.audio, this.#opts.trailingSilenceMs ?? 0);
  }

  start(): void {
    this.sendJson({
      event: 'start',
      sequenceNumber: String(++this.#seq),
      streamSid: this.streamSid,
      start: {
        streamSid: this.streamSid,
        accountSid: 'AC00000000000000000000000000000000',
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: this.#opts.customParameters ?? {},
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
  }

  /** Streams `audio` (then `silenceMs` of silence) in 20 ms frames at the caller's pace. */
  speak(audio: Uint8Array, silenceMs = 0): Promise<void> {
    const silence = new Uint8Array(Math.round(silenceMs * 8)).fill(0xff);
    const all = new Uint8Array(audio.byteLength + silence.byteLength);
    all.set(audio);
    all.set(silence, audio.byteLength);
    if (this.#opts.continuous) {
      if (all.byteLength === 0) return Promise.resolve();
      return new Promise((resolve) => this.#speech.push({ bytes: all, offset: 0, done: resolve }));
    }
    const pace = this.#opts.pace ?? 1;
    const frames = Math.ceil(all.byteLength / FRAME);
    const t0 = performance.now();
    let i = 0;
    return new Promise((resolve) => {
      const tick = () => {
        if (this.closed) return resolve();
        const due = Number.isFinite(pace) ? Math.min(frames, Math.floor(((performance.now() - t0) * pace) / 20) + 1) : frames;
        for (; i < due; i++) this.sendMedia(all.subarray(i * FRAME, Math.min(all.byteLength, (i + 1) * FRAME)));
        if (i >= frames) {
          this.finishedSpeakingAt = performance.now();
          this.#awaitingAnswer = true;
          resolve();
          return;
        }
        this.#sendTimer = setTimeout(tick, Math.max(1, t0 + (i * 20) / pace - performance.now()));
      };
      tick();
    });
  }

  /** Continuous mode: one frame per 20 ms (÷ pace) against a fixed schedule, speech when queued, else silence. */
  #lineTick(): void {
    if (this.closed) return;
    const pace = this.#opts.pace ?? 1;
    const due = Math.floor(((performance.now() - this.#lineStart) * pace) / 20) + 1;
    for (; this.#lineFrames < due; this.#lineFrames++) {
      const s = this.#speech[0];
      if (!s) {
        this.sendMedia(this.#silenceFrame);
        continue;
      }
      this.sendMedia(s.bytes.subarray(s.offset, Math.min(s.bytes.byteLength, s.offset + FRAME)));
      s.offset += FRAME;
      if (s.offset >= s.bytes.byteLength) {
        this.#speech.shift();
        this.finishedSpeakingAt = performance.now();
        this.#awaitingAnswer = true;
        s.done();
      }
    }
    this.#sendTimer = setTimeout(() => this.#lineTick(), Math.max(1, this.#lineStart + (this.#lineFrames * 20) / pace - performance.now()));
  }

  sendMedia(frame: Uint8Array): void {
    if (this.#opts.continuous) this.frameSentAt.push(performance.now());
    this.#chunk++;
    this.sendJson({
      event: 'media',
      sequenceNumber: String(++this.#seq),
      streamSid: this.streamSid,
      media: { track: 'inbound', chunk: String(this.#chunk), timestamp: String(this.#chunk * 20), payload: Buffer.from(frame).toString('base64') },
    });
  }

  dtmf(digit: string): void {
    this.sendJson({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: String(++this.#seq), dtmf: { track: 'inbound_track', digit } });
  }

  sendJson(event: Record<string, unknown>): void {
    this.sendRaw(JSON.stringify(event));
  }

  sendRaw(data: string | Buffer): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(data);
  }

  /** Hangs up like Twilio: `stop`, then the socket closes. */
  hangUp(): void {
    clearTimeout(this.#sendTimer);
    this.sendJson({
      event: 'stop',
      sequenceNumber: String(++this.#seq),
      streamSid: this.streamSid,
      stop: { accountSid: 'AC00000000000000000000000000000000', callSid: this.callSid },
    });
    this.#ws.close(1000);
  }

  /** Drops the socket without a close frame (a network failure). */
  drop(): void {
    clearTimeout(this.#sendTimer);
    this.#ws.terminate();
  }

  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((r) => this.#closedWaiters.push(r));
  }

  /** All audio received, concatenated. */
  receivedBytes(): Uint8Array {
    return Buffer.concat(this.receivedAudio);
  }

  /** All audio heard (played before the end or a clear), concatenated. */
  heardBytes(now = performance.now()): Uint8Array {
    this.#settlePlayback(now);
    return Buffer.concat(this.heard.map((h) => h.bytes));
  }

  /** Milliseconds of audio received but not yet played. */
  queuedMs(now = performance.now()): number {
    return Math.max(0, this.#playEnd - now);
  }

  /** Gaps in playback longer than `minMs` between the first and last audio heard (ms each). */
  playbackGaps(minMs: number): number[] {
    this.#settlePlayback(performance.now());
    const gaps: number[] = [];
    for (let i = 1; i < this.heard.length; i++) {
      const prev = this.heard[i - 1]!;
      const gap = this.heard[i]!.at - (prev.at + prev.bytes.byteLength / 8);
      if (gap > minMs) gaps.push(gap);
    }
    return gaps;
  }

  #onMessage(text: string): void {
    const now = performance.now();
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    this.received.push({ at: now, event });
    if (event.event === 'media') {
      const payload = (event.media as { payload: string }).payload;
      const bytes = Buffer.from(payload, 'base64');
      this.receivedAudio.push(bytes);
      if (this.#awaitingAnswer) {
        this.#awaitingAnswer = false;
        this.firstAudioAt.push(now);
      }
      const start = Math.max(now, this.#playEnd);
      const end = start + bytes.byteLength / 8;
      this.#queue.push({ bytes, start, end });
      this.#playEnd = end;
    } else if (event.event === 'mark') {
      const name = (event.mark as { name: string }).name;
      this.#tag(name.slice(0, name.lastIndexOf('@')));
      const at = Math.max(now, this.#playEnd);
      const timer = setTimeout(() => this.#echoMark(name, false), at - now);
      this.#marks.push({ name, at, timer });
    } else if (event.event === 'clear') {
      this.clears++;
      this.#settlePlayback(now);
      const head = this.#queue[0];
      const playing = head && head.start <= now ? head.itemId : this.heard.at(-1)?.itemId;
      this.#settlePlayback(now, true);
      this.clearLog.push({ at: now, itemId: playing, heardMs: playing === undefined ? 0 : this.heardMsOf(playing) });
      for (const m of this.#marks.splice(0)) {
        clearTimeout(m.timer);
        this.#echoMark(m.name, true);
      }
    }
  }

  /** Milliseconds of `itemId` heard so far (whatever was played of it, before the end or a clear). */
  heardMsOf(itemId: string, now = performance.now()): number {
    this.#settlePlayback(now);
    let bytes = 0;
    for (const h of this.heard) if (h.itemId === itemId) bytes += h.bytes.byteLength;
    return bytes / 8;
  }

  /** Gaps longer than `minMs` in the playback of one item (a drop the caller hears mid-sentence), ms each. */
  itemGaps(minMs: number): number[] {
    this.#settlePlayback(performance.now());
    const gaps: number[] = [];
    for (let i = 1; i < this.heard.length; i++) {
      const prev = this.heard[i - 1]!;
      const cur = this.heard[i]!;
      if (prev.itemId === undefined || prev.itemId !== cur.itemId) continue;
      const gap = cur.at - (prev.at + prev.bytes.byteLength / 8);
      if (gap > minMs) gaps.push(gap);
    }
    return gaps;
  }

  /** A mark names the item of the media sent just before it: tag what is not tagged yet, newest first. */
  #tag(itemId: string): void {
    for (let i = this.#queue.length - 1; i >= 0 && this.#queue[i]!.itemId === undefined; i--) this.#queue[i]!.itemId = itemId;
    for (let i = this.heard.length - 1; i >= 0 && this.heard[i]!.itemId === undefined; i--) this.heard[i]!.itemId = itemId;
  }

  #echoMark(name: string, afterClear: boolean): void {
    const i = this.#marks.findIndex((m) => m.name === name);
    if (i >= 0) this.#marks.splice(i, 1);
    this.echoedMarks.push({ name, at: performance.now(), afterClear });
    this.sendJson({ event: 'mark', sequenceNumber: String(++this.#seq), streamSid: this.streamSid, mark: { name } });
  }

  /** Moves what has played by `now` into `heard`; with `clear`, drops the rest. */
  #settlePlayback(now: number, clear = false): void {
    while (this.#queue.length > 0) {
      const q = this.#queue[0]!;
      if (q.end <= now) {
        this.heard.push({ at: q.start, bytes: q.bytes, itemId: q.itemId });
        this.#queue.shift();
        continue;
      }
      if (!clear) break;
      if (q.start < now) {
        const played = Math.floor((now - q.start) * 8);
        this.heard.push({ at: q.start, bytes: q.bytes.subarray(0, played), itemId: q.itemId });
      }
      this.#queue.length = 0;
    }
    if (clear) this.#playEnd = now;
  }
}
