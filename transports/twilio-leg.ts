import { type AudioChunk, PCMU_8K, base64ByteLength } from '../core/audio-format.ts';
import type { CallInfo, CallerLeg, CallerLegCounters, CallerLegEvents } from '../core/caller-leg.ts';
import type { Logger } from '../core/log.ts';
import { type HeardPosition, PlaybackTracker } from '../core/playback-tracker.ts';
import { TypedEmitter } from '../core/typed-emitter.ts';
import * as msg from './twilio-messages.ts';

/** Outbound audio leaves in whole 20 ms frames of 8 kHz mu-law: steady, even-sized chunks play without jitter. */
const FRAME_BYTES = 160;
const BYTES_PER_MS = 8;
/** The most outbound audio held back for framing (a partial frame, or a delta that arrived unaligned). */
const CARRY_BYTES = 64 * 1024;
const MAX_MESSAGE_BYTES = 64 * 1024;

export interface TwilioLegOptions {
  /** Writes one text frame to Twilio; false when the socket could not take it (dropped). */
  send: (text: string) => boolean;
  /** Closes the socket. */
  end: (code: number, reason: string) => void;
  /** Runs `fn` with the socket's writes batched into one syscall (uWS `cork`). */
  cork?: (fn: () => void) => void;
  log: Logger;
  /** Called for each message that does not fit the protocol (gateway-wide counters). */
  onInvalid?: (reason: string) => void;
  /** Checks a `start` (token, signature); returns a reason to refuse the stream, or undefined to accept it. */
  authorize?: (start: msg.StartMessage) => string | undefined;
}

/**
 * The Twilio Media Streams side of a call (PROTOCOLS.md): connected, start, media, mark, dtmf, stop in; media, mark,
 * clear out. Inbound mu-law is relayed as the base64 text it came in; outbound audio is framed into whole 20 ms
 * frames, each message followed by a mark named `item@ms`, and Twilio's echoes of those marks tell the playback
 * tracker what the caller has heard.
 */
export class TwilioLeg implements CallerLeg {
  readonly kind = 'phone' as const;
  readonly format = PCMU_8K;
  readonly events = new TypedEmitter<CallerLegEvents>();
  readonly counters: CallerLegCounters = { framesIn: 0, framesOut: 0, dropped: 0, invalid: 0 };
  onAudio: (chunk: AudioChunk) => void = () => {};
  info: CallInfo | undefined;

  #opts: TwilioLegOptions;
  #log: Logger;
  #tracker = new PlaybackTracker();
  #mediaPrefix = '';
  #markPrefix = '';
  #clearText = '';
  #item: string | undefined;
  #itemName = '';
  #itemMs = 0;
  #carry = Buffer.alloc(CARRY_BYTES);
  #carryLen = 0;
  /** Items interrupted by the caller: their audio still in flight from the model is dropped on arrival. */
  #discarded: string[] = [];
  #closed = false;

  constructor(opts: TwilioLegOptions) {
    this.#opts = opts;
    this.#log = opts.log;
  }

  get started(): boolean {
    return this.info !== undefined;
  }

  /** One text frame from Twilio. Never throws: bad input is counted, logged and dropped. */
  onMessage(text: string): void {
    if (this.#closed) return;
    if (text.length > MAX_MESSAGE_BYTES) return this.#invalid('message_too_large');
    let m: { event?: unknown; [k: string]: unknown };
    try {
      m = JSON.parse(text);
    } catch {
      return this.#invalid('not_json');
    }
    if (m === null || typeof m !== 'object') return this.#invalid('not_object');
    // Own properties only: `{"event":"__proto__"}` or `"hasOwnProperty"` must be unknown, not Object.prototype's.
    const handler = typeof m.event === 'string' && Object.hasOwn(this.#handlers, m.event) ? this.#handlers[m.event] : undefined;
    if (!handler) return this.#invalid('unknown_event');
    handler(m);
  }

  readonly #handlers: Record<string, (m: Record<string, unknown>) => void> = {
    connected: () => {},
    start: (m) => this.onStart(m),
    media: (m) => this.onMedia(m),
    mark: (m) => this.onMark(m),
    dtmf: (m) => this.onDtmf(m),
    stop: () => this.onStop(),
  };

  onStart(m: unknown): void {
    if (this.info) return this.#invalid('duplicate_start');
    const parsed = msg.startMessage.safeParse(m);
    if (!parsed.success) {
      this.#invalid('bad_start');
      this.close('invalid start message');
      return;
    }
    const start = parsed.data;
    const refusal = this.#opts.authorize?.(start);
    if (refusal) {
      this.#log.warn({ reason: refusal }, 'stream refused');
      this.close(`unauthorized: ${refusal}`);
      return;
    }
    const params = start.start.customParameters ?? {};
    this.info = {
      callSid: start.start.callSid,
      streamSid: start.streamSid,
      from: params.from,
      to: params.to,
      customParameters: params,
    };
    const sid = JSON.stringify(start.streamSid);
    this.#mediaPrefix = `{"event":"media","streamSid":${sid},"media":{"payload":"`;
    this.#markPrefix = `{"event":"mark","streamSid":${sid},"mark":{"name":"`;
    this.#clearText = `{"event":"clear","streamSid":${sid}}`;
    this.events.emit('start', this.info);
  }

  onMedia(m: Record<string, unknown>): void {
    if (!this.info) return this.#invalid('media_before_start');
    const media = m.media as { payload?: unknown; track?: unknown } | undefined;
    const payload = media?.payload;
    if (typeof payload !== 'string' || !msg.isBase64(payload)) return this.#invalid('bad_payload');
    if (media!.track !== undefined && media!.track !== 'inbound') return;
    this.counters.framesIn++;
    this.onAudio({ format: PCMU_8K, wire: payload, at: performance.now() });
  }

  onMark(m: Record<string, unknown>): void {
    // Marks come back once per outbound frame: checked by hand, not by schema (the per-frame path).
    const name = (m.mark as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || name.length > 256) return this.#invalid('bad_mark');
    // An unknown name is an echo of a mark dropped by `clear` (never played), or not ours: either way, not heard.
    this.#tracker.acknowledged(name, performance.now());
  }

  onDtmf(m: unknown): void {
    const parsed = msg.dtmfMessage.safeParse(m);
    if (!parsed.success) return this.#invalid('bad_dtmf');
    this.events.emit('dtmf', parsed.data.dtmf.digit);
  }

  onStop(): void {
    this.close('caller hung up');
  }

  sendAudio(chunk: AudioChunk): void {
    const itemId = chunk.itemId ?? '';
    if (!this.info || this.#closed || this.#discarded.includes(itemId)) {
      this.counters.dropped++;
      return;
    }
    if (itemId !== this.#item) {
      this.#flush();
      this.#item = itemId;
      // Item ids come from the model; escape once per item, not per frame, before they go into mark names.
      this.#itemName = JSON.stringify(itemId).slice(1, -1);
      this.#itemMs = 0;
    }
    const wire = chunk.wire;
    const n = wire !== undefined ? base64ByteLength(wire) : chunk.data!.byteLength;
    if (wire !== undefined && this.#carryLen === 0 && n % FRAME_BYTES === 0) {
      // Already whole frames: relay the text as it came, no decode.
      this.#emitMedia(wire, n);
      return;
    }
    if (this.#carryLen + n > CARRY_BYTES) {
      this.counters.dropped++;
      this.#log.warn({ bytes: n }, 'outbound framing buffer full: dropping audio');
      return;
    }
    // Decoded straight into the framing buffer: no buffer per chunk.
    if (wire !== undefined) this.#carryLen += this.#carry.write(wire, this.#carryLen, 'base64');
    else {
      const data = chunk.data!;
      this.#carry.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), this.#carryLen);
      this.#carryLen += data.byteLength;
    }
    const whole = this.#carryLen - (this.#carryLen % FRAME_BYTES);
    if (whole > 0) {
      this.#emitMedia(this.#carry.toString('base64', 0, whole), whole);
      this.#carry.copyWithin(0, whole, this.#carryLen);
      this.#carryLen -= whole;
    }
  }

  audioDone(itemId: string): void {
    if (itemId === this.#item) this.#flush();
  }

  interrupt(now: number): HeardPosition | undefined {
    const heard = this.#tracker.clear(now);
    const item = heard?.itemId ?? this.#item;
    if (item !== undefined) this.discard(item);
    this.#carryLen = 0;
    this.#item = undefined;
    if (heard && this.info) this.#opts.send(this.#clearText);
    return heard;
  }

  discard(itemId: string): void {
    if (this.#discarded.includes(itemId)) return;
    this.#discarded.push(itemId);
    // Only the last few items can still be arriving: a short list, searched per frame.
    if (this.#discarded.length > 16) this.#discarded.shift();
  }

  isDiscarded(itemId: string): boolean {
    return this.#discarded.includes(itemId);
  }

  playbackDone(): Promise<void> {
    return this.#tracker.whenIdle();
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tracker.clear(performance.now());
    this.#opts.end(1000, reason.slice(0, 100));
    this.events.emit('closed', reason);
  }

  /** The socket closed under us (Twilio went away, or the connection dropped). */
  socketClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tracker.clear(performance.now());
    this.events.emit('closed', reason);
  }

  /** Sends what is held back, padded to an even length (odd sizes make Twilio's playback jitter). */
  #flush(): void {
    if (this.#carryLen === 0) return;
    let n = this.#carryLen;
    if (n % 2 === 1) this.#carry[n++] = 0xff; // mu-law silence
    this.#emitMedia(this.#carry.toString('base64', 0, n), n);
    this.#carryLen = 0;
  }

  #emitMedia(b64: string, bytes: number): void {
    this.#itemMs += bytes / BYTES_PER_MS;
    const name = `${this.#itemName}@${this.#itemMs}`;
    const media = `${this.#mediaPrefix}${b64}"}}`;
    const mark = `${this.#markPrefix}${name}"}}`;
    if (this.#opts.cork) this.#opts.cork(() => this.#sendPair(media, mark));
    else this.#sendPair(media, mark);
    this.#tracker.sent(name, this.#item ?? '', this.#itemMs, performance.now());
  }

  #sendPair(media: string, mark: string): void {
    if (this.#opts.send(media)) this.counters.framesOut++;
    else this.counters.dropped++;
    this.#opts.send(mark);
  }

  #invalid(reason: string): void {
    this.counters.invalid++;
    this.#opts.onInvalid?.(reason);
    // Count every one, log the first and then every hundredth: a flood of garbage must not flood the log.
    if (this.counters.invalid === 1 || this.counters.invalid % 100 === 0)
      this.#log.warn({ reason, invalid: this.counters.invalid }, 'invalid message from Twilio');
  }
}
