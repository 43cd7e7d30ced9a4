import WebSocket from 'ws';
import type { ZodType, infer as zInfer } from 'zod';
import { type AudioChunk, type AudioFormat, base64ByteLength, bytesPerMs } from '../audio-format.ts';
import { ModelError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { TypedEmitter } from '../typed-emitter.ts';
import { type ApiMode, gaEventName } from './event-names.ts';
import * as ev from './server-events.ts';

export interface FunctionCall {
  callId: string;
  name: string;
  arguments: string;
  itemId?: string;
}

export interface ModelLegEvents {
  [event: string]: unknown[];
  /** The socket is open and the first session.update went out: audio may flow. */
  open: [];
  speechStarted: [itemId: string, audioStartMs: number];
  speechStopped: [itemId: string, audioEndMs: number];
  userTranscript: [itemId: string, text: string];
  assistantTranscript: [itemId: string, text: string];
  /** A new assistant output item (audio follows under this id). */
  itemAdded: [itemId: string, type: string];
  responseCreated: [responseId: string];
  responseDone: [responseId: string, status: string, usage: ev.Usage | undefined];
  audioDone: [itemId: string];
  /** A completed function call, once per call id (both completion events are handled; duplicates are dropped). */
  functionCall: [call: FunctionCall];
  truncated: [itemId: string, audioEndMs: number];
  /** A server `error` event: reported, not fatal by itself. */
  error: [err: ModelError];
  /** The socket is gone; `expected` when we closed it. */
  closed: [code: number, reason: string, expected: boolean];
}

export interface RealtimeLegOptions {
  url: string;
  model: string;
  mode: ApiMode;
  apiKey?: string;
  /** What the leg sends (caller audio) and receives (model audio). */
  inputFormat: AudioFormat;
  outputFormat: AudioFormat;
  log: Logger;
  connectTimeoutMs?: number;
  /** Audio frames held while the socket opens; past this the oldest are dropped (and counted). */
  maxQueuedMessages?: number;
  /**
   * Ping the server this often; no pong by the next ping fails the leg (`model_unresponsive`). A socket whose peer
   * vanished without a FIN (a network drop) otherwise looks open for minutes while the caller hears nothing.
   */
  heartbeatMs?: number;
}

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The model leg: one WebSocket to the Realtime API (or the simulator), speaking GA or beta.
 *
 * Audio out of the model is handed to `onAudio` as it arrives, as the base64 text it came in; control events are
 * typed events on `events`. Messages sent before the socket opens wait in a bounded queue, the session.update first,
 * so the socket can be opened as soon as a call is known, before its first audio.
 */
export class RealtimeLeg {
  readonly events = new TypedEmitter<ModelLegEvents>();
  /** Set by the session: every chunk of model audio, tagged with its item. */
  onAudio: (chunk: AudioChunk) => void = () => {};

  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  readonly mode: ApiMode;
  readonly counters = { framesIn: 0, framesOut: 0, dropped: 0, invalid: 0 };

  #ws: WebSocket;
  #log: Logger;
  #queue: string[] = [];
  #maxQueued: number;
  #closing = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #pongDue = false;
  readonly #heartbeatMs: number;
  #activeResponse: string | undefined;
  #calledIds = new Set<string>();
  /** Function names by call id, from `output_item.added`: beta's `function_call_arguments.done` has no `name`. */
  #callNames = new Map<string, string>();
  #itemAudioBytes = new Map<string, number>();
  readonly #appendPrefix = '{"type":"input_audio_buffer.append","audio":"';
  readonly #outBytesPerMs: number;

  constructor(opts: RealtimeLegOptions) {
    this.inputFormat = opts.inputFormat;
    this.mode = opts.mode;
    this.outputFormat = opts.outputFormat;
    this.#log = opts.log;
    this.#maxQueued = opts.maxQueuedMessages ?? 500;
    this.#heartbeatMs = opts.heartbeatMs ?? 5000;
    this.#outBytesPerMs = bytesPerMs(opts.outputFormat);
    const url = new URL(opts.url);
    url.searchParams.set('model', opts.model);
    const headers: Record<string, string> = {};
    if (opts.apiKey) headers.Authorization = `Bearer ${opts.apiKey}`;
    if (opts.mode === 'beta') headers['OpenAI-Beta'] = 'realtime=v1';
    // UTF-8 validation is skipped: every message goes through JSON.parse, which rejects what matters.
    this.#ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES, skipUTF8Validation: true });
    this.#connectTimer = setTimeout(() => {
      this.#fail('model_connect_timeout', 'model socket did not open in time', true);
    }, opts.connectTimeoutMs ?? 10_000);
    this.#ws.on('open', () => this.#onOpen());
    this.#ws.on('pong', () => {
      this.#pongDue = false;
    });
    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      // A throw here would leave the socket's callback and end the process: contain it to this call.
      try {
        this.#onMessage(data.toString());
      } catch (err) {
        this.#log.error({ err }, 'model message handling failed');
        this.events.emit('error', new ModelError('model_message_failed', errorMessage(err), false));
      }
    });
    this.#ws.on('error', (err) => {
      this.#log.warn({ err: err.message }, 'model socket error');
    });
    this.#ws.on('close', (code, reason) => this.#onClose(code, reason.toString()));
  }

  /** Open or opening, and not closed by us: a prewarmed leg is worth claiming. */
  get usable(): boolean {
    return !this.#closing && (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING);
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** The response the model is producing now, if any: `response.create` must wait until it is done. */
  get activeResponse(): string | undefined {
    return this.#activeResponse;
  }

  /** This connection's model made the item (a replacement connection knows the conversation only as replayed text). */
  knowsItem(itemId: string): boolean {
    return this.#itemAudioBytes.has(itemId);
  }

  /** Milliseconds of audio the model has sent for an item: the bound for `audio_end_ms` in a truncate. */
  audioMsOf(itemId: string): number {
    return (this.#itemAudioBytes.get(itemId) ?? 0) / this.#outBytesPerMs;
  }

  /** Caller audio to the model. The chunk's base64 text is relayed as is when the formats match. */
  sendAudio(chunk: AudioChunk): void {
    const wire = chunk.wire ?? Buffer.from(chunk.data!.buffer, chunk.data!.byteOffset, chunk.data!.byteLength).toString('base64');
    this.counters.framesOut++;
    this.#sendRaw(`${this.#appendPrefix}${wire}"}`);
  }

  send(event: Record<string, unknown>): void {
    this.#sendRaw(JSON.stringify(event));
  }

  truncate(itemId: string, audioEndMs: number): void {
    this.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: Math.max(0, Math.floor(audioEndMs)) });
  }

  sendFunctionOutput(callId: string, output: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
  }

  createResponse(instructions?: string): void {
    this.send({ type: 'response.create', ...(instructions ? { response: { instructions } } : {}) });
  }

  cancelResponse(): void {
    this.send({ type: 'response.cancel' });
  }

  close(reason = 'done'): void {
    if (this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#connectTimer);
    clearInterval(this.#heartbeat);
    this.#queue.length = 0;
    if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate();
    else if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(1000, reason.slice(0, 120));
  }

  #sendRaw(text: string): void {
    if (this.#closing) return;
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(text);
      return;
    }
    if (this.#ws.readyState !== WebSocket.CONNECTING) return;
    if (this.#queue.length >= this.#maxQueued) {
      // Drop the oldest audio, never the first message (session.update), which must precede all audio.
      this.#queue.splice(1, 1);
      this.counters.dropped++;
      if (this.counters.dropped === 1 || this.counters.dropped % 100 === 0)
        this.#log.warn({ dropped: this.counters.dropped }, 'model socket not open: dropping oldest queued audio');
    }
    this.#queue.push(text);
  }

  #onOpen(): void {
    clearTimeout(this.#connectTimer);
    this.#heartbeat = setInterval(() => {
      if (this.#pongDue) return this.#fail('model_unresponsive', 'model socket did not answer a ping', true);
      this.#pongDue = true;
      this.#ws.ping();
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
    for (const text of this.#queue) this.#ws.send(text);
    this.#queue.length = 0;
    this.events.emit('open');
  }

  #onClose(code: number, reason: string): void {
    clearTimeout(this.#connectTimer);
    clearInterval(this.#heartbeat);
    this.#activeResponse = undefined;
    this.events.emit('closed', code, reason, this.#closing);
    this.events.removeAllListeners();
    this.onAudio = () => {};
  }

  #fail(code: string, message: string, retryable: boolean): void {
    if (this.#closing) return;
    this.#log.warn({ code }, message);
    this.events.emit('error', new ModelError(code, message, retryable));
    this.#closing = true;
    this.#ws.terminate();
  }

  #onMessage(text: string): void {
    let msg: { type?: unknown; [k: string]: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      this.counters.invalid++;
      this.#log.warn('model sent a message that is not JSON');
      return;
    }
    if (typeof msg.type !== 'string') {
      this.counters.invalid++;
      return;
    }
    const type = gaEventName(msg.type);
    if (type === 'response.output_audio.delta') {
      const itemId = msg.item_id;
      const delta = msg.delta;
      if (typeof itemId !== 'string' || typeof delta !== 'string') {
        this.counters.invalid++;
        return;
      }
      this.counters.framesIn++;
      const before = this.#itemAudioBytes.get(itemId);
      // An item first seen in a delta (no output_item.added) is remembered under the same bound as the others.
      if (before === undefined) this.#rememberItem(itemId);
      this.#itemAudioBytes.set(itemId, (before ?? 0) + base64ByteLength(delta));
      this.onAudio({ format: this.outputFormat, wire: delta, itemId, at: performance.now() });
      return;
    }
    // Own properties only: a `type` naming an Object.prototype member is an unknown event, not a function to call.
    const handler = Object.hasOwn(this.#handlers, type) ? this.#handlers[type] : undefined;
    if (handler) handler(msg);
  }

  #parse<S extends ZodType>(schema: S, msg: unknown, type: string): zInfer<S> | undefined {
    const parsed = schema.safeParse(msg);
    if (parsed.success) return parsed.data;
    this.counters.invalid++;
    this.#log.warn({ type, issue: parsed.error.issues[0]?.message }, 'model event does not fit its schema');
    return undefined;
  }

  /** Handlers by (GA) event type; everything not listed is ignored. */
  readonly #handlers: Record<string, (msg: unknown) => void> = {
    'input_audio_buffer.speech_started': (msg) => {
      const m = this.#parse(ev.speechStarted, msg, 'speech_started');
      if (m) this.events.emit('speechStarted', m.item_id, m.audio_start_ms);
    },
    'input_audio_buffer.speech_stopped': (msg) => {
      const m = this.#parse(ev.speechStopped, msg, 'speech_stopped');
      if (m) this.events.emit('speechStopped', m.item_id, m.audio_end_ms);
    },
    'conversation.item.input_audio_transcription.completed': (msg) => {
      const m = this.#parse(ev.inputTranscriptionCompleted, msg, 'input_transcription');
      if (m) this.events.emit('userTranscript', m.item_id, m.transcript);
    },
    'response.created': (msg) => {
      const m = this.#parse(ev.responseCreated, msg, 'response.created');
      if (!m) return;
      this.#activeResponse = m.response.id;
      this.events.emit('responseCreated', m.response.id);
    },
    'response.done': (msg) => {
      const m = this.#parse(ev.responseDone, msg, 'response.done');
      if (!m) return;
      if (this.#activeResponse === m.response.id) this.#activeResponse = undefined;
      this.events.emit('responseDone', m.response.id, m.response.status ?? 'completed', m.response.usage ?? undefined);
    },
    'response.output_item.added': (msg) => {
      const m = this.#parse(ev.outputItem, msg, 'output_item.added');
      if (!m) return;
      this.#rememberItem(m.item.id);
      if (m.item.type === 'function_call' && m.item.call_id && m.item.name) {
        this.#callNames.set(m.item.call_id, m.item.name);
        if (this.#callNames.size > 256) this.#callNames.delete(this.#callNames.keys().next().value!);
      }
      this.events.emit('itemAdded', m.item.id, m.item.type);
    },
    'response.output_item.done': (msg) => {
      const m = this.#parse(ev.outputItem, msg, 'output_item.done');
      if (m?.item.type !== 'function_call' || !m.item.call_id) return;
      this.#functionCall({ callId: m.item.call_id, name: m.item.name ?? '', arguments: m.item.arguments ?? '', itemId: m.item.id });
    },
    'response.function_call_arguments.done': (msg) => {
      const m = this.#parse(ev.functionCallArgumentsDone, msg, 'function_call_arguments.done');
      if (!m) return;
      const name = m.name ?? this.#callNames.get(m.call_id);
      // Without a name the call cannot run; `output_item.done` carries it and will announce the call.
      if (name) this.#functionCall({ callId: m.call_id, name, arguments: m.arguments, itemId: m.item_id });
    },
    'response.output_audio.done': (msg) => {
      const itemId = (msg as { item_id?: unknown }).item_id;
      if (typeof itemId === 'string') this.events.emit('audioDone', itemId);
    },
    'response.output_audio_transcript.done': (msg) => {
      const m = this.#parse(ev.transcriptDone, msg, 'audio_transcript.done');
      if (m) this.events.emit('assistantTranscript', m.item_id, m.transcript);
    },
    'conversation.item.truncated': (msg) => {
      const m = this.#parse(ev.itemTruncated, msg, 'item.truncated');
      if (m) this.events.emit('truncated', m.item_id, m.audio_end_ms);
    },
    error: (msg) => {
      const m = this.#parse(ev.serverError, msg, 'error');
      if (!m) return;
      const code = m.error.code ?? m.error.type ?? 'model_error';
      this.events.emit('error', new ModelError(code, m.error.message ?? code, false));
    },
  };

  /** Bounded memory of items: a long call makes thousands, and only recent ones can still be truncated. */
  #rememberItem(itemId: string): void {
    if (!this.#itemAudioBytes.has(itemId)) this.#itemAudioBytes.set(itemId, 0);
    if (this.#itemAudioBytes.size > 64) {
      const oldest = this.#itemAudioBytes.keys().next().value;
      if (oldest !== undefined) this.#itemAudioBytes.delete(oldest);
    }
  }

  #functionCall(call: FunctionCall): void {
    // Both `function_call_arguments.done` and `output_item.done` announce the same call: run it once.
    if (this.#calledIds.has(call.callId)) return;
    this.#calledIds.add(call.callId);
    if (this.#calledIds.size > 256) {
      const oldest = this.#calledIds.values().next().value;
      if (oldest !== undefined) this.#calledIds.delete(oldest);
    }
    this.events.emit('functionCall', call);
  }
}
