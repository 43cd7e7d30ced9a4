import { randomUUID } from 'node:crypto';
import { type AudioFormat, PCM16_24K, PCMA_8K, PCMU_8K, bytesPerMs } from '../audio-format.ts';
import { type ApiMode, serverEventName } from './event-names.ts';
import { convert, toPcm, toneSequence } from './simulator-audio.ts';
import { EnergyVad, type VadEvent } from './simulator-vad.ts';

/** What the simulated model says in one response. */
export interface Answer {
  /** Audio in the session's output format. Default: the user's last utterance played back, or a tone sequence. */
  audio?: Uint8Array;
  /** Length of the tone sequence when there is no audio and nothing to echo. */
  toneMs?: number;
  transcript?: string;
  /** Answer with a function call instead of audio (or after it, when `audio`, `toneMs` or `transcript` is set too). */
  functionCall?: { name: string; arguments: string };
  /** Several function calls in one response (each its own output item), after any audio. */
  functionCalls?: Array<{ name: string; arguments: string }>;
}

/** One line of the session's timeline (performance.now() ms), for latency measurements from outside. */
export interface SimTimelineEntry {
  type: 'speech_started' | 'speech_stopped' | 'response_created' | 'first_delta';
  at: number;
  id: string;
  /** speech_started / speech_stopped: the input audio clock (ms). */
  audioMs?: number;
}

export interface AnswerContext {
  session: SimSession;
  /** `race`: a response the server started on its own just as a `response.create` arrived (see `activeResponseRaces`). */
  trigger: 'speech' | 'response.create' | 'race';
  /** The user's utterance (input format) when the trigger is speech. */
  speech?: Uint8Array;
  /** function_call_output items received since the last response. */
  functionOutputs: Array<{ callId: string; output: string }>;
  /** response.create's own instructions, if any. */
  instructions?: string;
}

export interface SimulatorTimings {
  /** Delay from the trigger (speech stopped, response.create) to the first audio delta. */
  firstAudioDelayMs: number;
  /** Audio per delta. */
  deltaMs: number;
  /** How much faster than real time deltas are sent (the real API bursts); Infinity sends all at once. */
  realtimeFactor: number;
  /** Tone answer length when there is nothing to echo. */
  answerMs: number;
  /** The server closes the session after this long (the real API: 30 minutes). */
  maxSessionMs: number;
}

export interface SimSessionHooks {
  answer?(ctx: AnswerContext): Answer;
  transcribe?(speech: Uint8Array, session: SimSession): string | undefined;
}

export interface ClientEventRecord {
  type: string;
  at: number;
  event: Record<string, unknown>;
}

interface ItemState {
  id: string;
  role: 'user' | 'assistant' | 'system' | 'tool';
  type: string;
  text: string;
  sentBytes: number;
  truncatedMs?: number;
}

interface ScriptedCall {
  name: string;
  arguments: string;
}

interface ActiveResponse {
  id: string;
  item: ItemState;
  kind: 'audio' | 'function_call';
  /** Function calls that follow the audio (or make up the whole response when kind is function_call). */
  calls: ScriptedCall[];
  audio: Uint8Array;
  offset: number;
  timer?: NodeJS.Timeout;
  startedAt: number;
  sent: number;
  wordsSent: number;
  transcript: string;
}

const MAX_RECORDED_INPUT = 32 * 1024 * 1024;
const MAX_RECORDED_EVENTS = 5000;
const MAX_TIMELINE = 10_000;
/** A user's words that make the model call a tool: "[call get_weather {\"city\":\"Oslo\"}]" (the magic phrase). */
const MAGIC_CALL = /\[call ([A-Za-z0-9_-]{1,64})(?:\s+(\{.*?\}))?\]/g;

const formatOfGa = (f: { type?: string } | undefined): AudioFormat | undefined =>
  f?.type === 'audio/pcmu' ? PCMU_8K : f?.type === 'audio/pcma' ? PCMA_8K : f?.type === 'audio/pcm' ? PCM16_24K : undefined;
const formatOfBeta = (f: unknown): AudioFormat | undefined =>
  f === 'g711_ulaw' ? PCMU_8K : f === 'g711_alaw' ? PCMA_8K : f === 'pcm16' ? PCM16_24K : undefined;

/**
 * One simulated Realtime session: the protocol of PROTOCOLS.md, GA or beta, with energy VAD, audio answers,
 * transcripts, function calls and truncation. Records what it received so tests can assert on the wire.
 */
export class SimSession {
  readonly id = `sess_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  readonly startedAt = Date.now();
  readonly received: ClientEventRecord[] = [];
  /** Every `session.update` received, in order. */
  readonly sessionUpdates: Record<string, unknown>[] = [];
  /** The conversation as the server holds it: items in order. */
  readonly items: ItemState[] = [];
  inputFormat: AudioFormat = PCM16_24K;
  outputFormat: AudioFormat = PCM16_24K;
  tools: Array<{ name: string; [k: string]: unknown }> = [];
  instructions = '';
  inputBytes = 0;
  closed = false;
  closeReason = '';
  /** Mirror mode: every appended chunk goes straight back as audio (the relay bench's duplex load). */
  mirror = false;
  /**
   * The next this-many `response.create`s that arrive while no response is active lose a race: the server starts a
   * response of its own first (as server VAD does when the caller speaks), then rejects the client's with
   * `conversation_already_has_active_response`.
   */
  activeResponseRaces = 0;
  /**
   * False: a model slow to stop. Neither the caller's speech nor a truncate cancels the response; its audio keeps
   * coming, and the gateway must drop it by item.
   */
  honorInterrupts = true;
  /** Responses made so far (the index into a scripted simulator's answers). */
  responses = 0;
  /** Speech, responses and first audio, with times: what latency benches measure against. */
  readonly timeline: SimTimelineEntry[] = [];

  #output: Uint8Array[] = [];
  #outputLen = 0;
  #input = new Uint8Array(64 * 1024);
  #inputLen = 0;
  #vad = new EnergyVad({ threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 });
  #vadEvents: VadEvent[] = [];
  #turnDetection: { type: string; create_response?: boolean; interrupt_response?: boolean } | null = { type: 'server_vad' };
  #pendingUserItem = '';
  #active: ActiveResponse | undefined;
  #functionOutputs: Array<{ callId: string; output: string }> = [];
  #expiry: NodeJS.Timeout | undefined;
  #magicUsed = new Set<string>();
  #mirrorItem = `item_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  #mirrorPrefix = '';
  #eventSeq = 0;
  #listeners = new Set<(rec: ClientEventRecord) => void>();

  constructor(
    readonly mode: ApiMode,
    readonly model: string,
    readonly timings: SimulatorTimings,
    private readonly hooks: SimSessionHooks,
    private readonly sendText: (text: string) => void,
    private readonly closeSocket: (code: number, reason: string) => void,
  ) {
    this.#emit('session.created', {
      session: { id: this.id, object: 'realtime.session', model, type: 'realtime', expires_at: Math.floor((Date.now() + timings.maxSessionMs) / 1000) },
    });
    this.#expiry = setTimeout(() => {
      this.#emit('error', {
        error: { type: 'invalid_request_error', code: 'session_expired', message: 'Your session hit the maximum duration.' },
      });
      this.close(1000, 'session expired');
    }, timings.maxSessionMs);
  }

  /** All audio sent in responses, in order (output format), up to a bound. */
  get outputAudio(): Uint8Array {
    return Buffer.concat(this.#output);
  }

  /** All input audio received (as bytes in the input format), up to a bound. */
  get inputAudio(): Uint8Array {
    return this.#input.subarray(0, this.#inputLen);
  }

  get activeResponseId(): string | undefined {
    return this.#active?.id;
  }

  /** Calls `fn` for every client event from now on (tests wait on these); returns the unsubscribe function. */
  onEvent(fn: (rec: ClientEventRecord) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  close(code = 1000, reason = 'closed'): void {
    if (this.closed) return;
    this.#cleanup(reason);
    this.closeSocket(code, reason);
  }

  /** The socket went away (either side). */
  socketClosed(reason: string): void {
    if (!this.closed) this.#cleanup(reason);
  }

  #cleanup(reason: string): void {
    this.closed = true;
    this.closeReason = reason;
    clearTimeout(this.#expiry);
    if (this.#active?.timer) clearTimeout(this.#active.timer);
    this.#active = undefined;
    this.#listeners.clear();
  }

  onMessage(text: string): void {
    if (this.closed) return;
    // Appends are the bulk of the traffic: pick the audio out without a full parse of every other field.
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text);
    } catch {
      this.#error('invalid_request_error', 'invalid_json', 'The message is not valid JSON.');
      return;
    }
    const type = msg.type;
    if (typeof type !== 'string') {
      this.#error('invalid_request_error', 'missing_type', "Missing required parameter: 'type'.");
      return;
    }
    if (type === 'input_audio_buffer.append') {
      if (typeof msg.audio !== 'string') {
        this.#error('invalid_request_error', 'invalid_value', "Missing required parameter: 'audio'.");
        return;
      }
      this.#append(msg.audio);
      return;
    }
    const rec = { type, at: Date.now(), event: msg };
    if (this.received.length < MAX_RECORDED_EVENTS) this.received.push(rec);
    for (const fn of this.#listeners) fn(rec);
    const handler = Object.hasOwn(this.#handlers, type) ? this.#handlers[type] : undefined;
    if (handler) handler(msg);
    else this.#error('invalid_request_error', 'invalid_value', `Invalid value: '${type}'. Supported values are client events.`);
  }

  readonly #handlers: Record<string, (msg: Record<string, unknown>) => void> = {
    'session.update': (msg) => this.#sessionUpdate(msg),
    'input_audio_buffer.commit': () => this.#commit(this.#vad.clockMs, 0),
    'input_audio_buffer.clear': () => this.#emit('input_audio_buffer.cleared', {}),
    'conversation.item.create': (msg) => this.#itemCreate(msg),
    'conversation.item.truncate': (msg) => this.#truncate(msg),
    'conversation.item.delete': () => {},
    'response.create': (msg) => {
      if (this.#active) {
        this.#error(
          'invalid_request_error',
          'conversation_already_has_active_response',
          `Conversation already has an active response in progress: ${this.#active.id}.`,
        );
        return;
      }
      if (this.activeResponseRaces > 0) {
        this.activeResponseRaces--;
        this.#respond('race');
        const raced = this.activeResponseId;
        this.#error(
          'invalid_request_error',
          'conversation_already_has_active_response',
          `Conversation already has an active response in progress: ${raced}.`,
        );
        return;
      }
      const r = msg.response as { instructions?: unknown } | undefined;
      this.#respond('response.create', undefined, typeof r?.instructions === 'string' ? r.instructions : undefined);
    },
    'response.cancel': () => {
      if (!this.#active) this.#error('invalid_request_error', 'response_cancel_not_active', 'Cancellation failed: no active response found.');
      else this.#cancel();
    },
  };

  #sessionUpdate(msg: Record<string, unknown>): void {
    const s = (msg.session ?? {}) as Record<string, unknown>;
    this.sessionUpdates.push(s);
    if (this.mode === 'ga') {
      const audio = (s.audio ?? {}) as { input?: Record<string, unknown>; output?: Record<string, unknown> };
      this.inputFormat = formatOfGa(audio.input?.format as { type?: string }) ?? this.inputFormat;
      this.outputFormat = formatOfGa(audio.output?.format as { type?: string }) ?? this.outputFormat;
      if (audio.input && 'turn_detection' in audio.input) this.#setTurnDetection(audio.input.turn_detection);
    } else {
      this.inputFormat = formatOfBeta(s.input_audio_format) ?? this.inputFormat;
      this.outputFormat = formatOfBeta(s.output_audio_format) ?? this.outputFormat;
      if ('turn_detection' in s) this.#setTurnDetection(s.turn_detection);
    }
    if (Array.isArray(s.tools)) this.tools = s.tools as SimSession['tools'];
    if (typeof s.instructions === 'string') this.instructions = s.instructions;
    this.#mirrorPrefix = '';
    this.#emit('session.updated', { session: { id: this.id, ...s } });
  }

  #setTurnDetection(td: unknown): void {
    this.#turnDetection = (td as SimSession['turnDetection']) ?? null;
    const t = td as { threshold?: number; prefix_padding_ms?: number; silence_duration_ms?: number } | null;
    this.#vad.configure({
      threshold: t?.threshold ?? 0.5,
      prefixPaddingMs: t?.prefix_padding_ms ?? 300,
      silenceDurationMs: t?.silence_duration_ms ?? 500,
    });
  }

  get turnDetection(): { type: string; create_response?: boolean; interrupt_response?: boolean } | null {
    return this.#turnDetection;
  }

  #append(b64: string): void {
    const bytes = Buffer.from(b64, 'base64');
    this.inputBytes += bytes.byteLength;
    this.#record(bytes);
    if (this.mirror) {
      this.#mirror(b64);
      return;
    }
    if (!this.#turnDetection) return;
    this.#vadEvents.length = 0;
    this.#vad.push(toPcm(bytes, this.inputFormat), this.inputFormat.rate, this.#vadEvents);
    for (const e of this.#vadEvents) {
      if (e.type === 'started') this.#speechStarted(e.audioStartMs);
      else this.#commit(e.audioEndMs, e.startMs);
    }
  }

  #mirror(b64: string): void {
    if (!this.#mirrorPrefix) {
      this.#mirrorPrefix = `{"type":"${serverEventName('response.output_audio.delta', this.mode)}","response_id":"resp_mirror","item_id":"${this.#mirrorItem}","output_index":0,"content_index":0,"delta":"`;
    }
    this.sendText(`${this.#mirrorPrefix}${b64}"}`);
  }

  #record(bytes: Uint8Array): void {
    const need = this.#inputLen + bytes.byteLength;
    if (need > MAX_RECORDED_INPUT) return;
    if (need > this.#input.byteLength) {
      const grown = new Uint8Array(Math.min(MAX_RECORDED_INPUT, Math.max(need, this.#input.byteLength * 2)));
      grown.set(this.#input.subarray(0, this.#inputLen));
      this.#input = grown;
    }
    this.#input.set(bytes, this.#inputLen);
    this.#inputLen = need;
  }

  #speechStarted(audioStartMs: number): void {
    this.#pendingUserItem = newItemId();
    this.#mark('speech_started', this.#pendingUserItem, audioStartMs);
    this.#emit('input_audio_buffer.speech_started', { audio_start_ms: audioStartMs, item_id: this.#pendingUserItem });
    if (this.#active && this.#turnDetection?.interrupt_response !== false && this.honorInterrupts) this.#cancel();
  }

  #commit(audioEndMs: number, startMs: number): void {
    const itemId = this.#pendingUserItem || newItemId();
    this.#pendingUserItem = '';
    const previous = this.items.at(-1)?.id ?? null;
    this.#mark('speech_stopped', itemId, audioEndMs);
    this.#emit('input_audio_buffer.speech_stopped', { audio_end_ms: audioEndMs, item_id: itemId });
    this.#emit('input_audio_buffer.committed', { item_id: itemId, previous_item_id: previous });
    const bpm = bytesPerMs(this.inputFormat);
    const speech = this.#input.slice(Math.floor(startMs * bpm), Math.min(this.#inputLen, Math.ceil(audioEndMs * bpm)));
    const item: ItemState = { id: itemId, role: 'user', type: 'message', text: '', sentBytes: 0 };
    this.items.push(item);
    this.#emit('conversation.item.added', {
      previous_item_id: previous,
      item: { id: itemId, object: 'realtime.item', type: 'message', role: 'user', content: [{ type: 'input_audio', transcript: null }] },
    });
    if (this.mode === 'ga') this.#emit('conversation.item.done', { item: { id: itemId, type: 'message', role: 'user' } });
    item.text = this.hooks.transcribe?.(speech, this) ?? `(speech ${Math.round(audioEndMs - startMs)} ms)`;
    this.#emit('conversation.item.input_audio_transcription.completed', { item_id: itemId, content_index: 0, transcript: item.text });
    if (this.#turnDetection?.create_response !== false && !this.#active) this.#respond('speech', speech);
  }

  #itemCreate(msg: Record<string, unknown>): void {
    const raw = (msg.item ?? {}) as Record<string, unknown>;
    const type = typeof raw.type === 'string' ? raw.type : 'message';
    const id = typeof raw.id === 'string' ? raw.id : newItemId();
    let text = '';
    let role: ItemState['role'] = 'user';
    if (type === 'function_call_output') {
      if (typeof raw.call_id !== 'string' || typeof raw.output !== 'string') {
        this.#error('invalid_request_error', 'invalid_value', 'function_call_output needs call_id and a string output.');
        return;
      }
      this.#functionOutputs.push({ callId: raw.call_id, output: raw.output });
      text = raw.output;
      role = 'tool';
    } else if (type === 'message') {
      role = (raw.role as ItemState['role']) ?? 'user';
      const content = Array.isArray(raw.content) ? (raw.content as Array<{ text?: unknown; transcript?: unknown }>) : [];
      text = content.map((c) => (typeof c.text === 'string' ? c.text : typeof c.transcript === 'string' ? c.transcript : '')).join(' ');
    } else if (type === 'function_call') {
      role = 'assistant';
      text = `${String(raw.name)}(${String(raw.arguments)})`;
    }
    const previous = this.items.at(-1)?.id ?? null;
    this.items.push({ id, role, type, text, sentBytes: 0 });
    this.#emit('conversation.item.added', { previous_item_id: previous, item: { id, object: 'realtime.item', ...raw } });
    if (this.mode === 'ga') this.#emit('conversation.item.done', { item: { id, ...raw } });
  }

  #truncate(msg: Record<string, unknown>): void {
    const itemId = msg.item_id;
    const end = msg.audio_end_ms;
    const item = this.items.find((i) => i.id === itemId);
    if (!item || typeof end !== 'number') {
      this.#error('invalid_request_error', 'item_truncate_invalid_item_id', `Item with item_id not found: ${String(itemId)}`);
      return;
    }
    if (item.role !== 'assistant') {
      this.#error('invalid_request_error', 'invalid_value', 'Only assistant messages can be truncated.');
      return;
    }
    const sentMs = item.sentBytes / bytesPerMs(this.outputFormat);
    if (end > sentMs + 0.5) {
      this.#error('invalid_request_error', 'invalid_value', `Audio content of ${Math.round(sentMs)}ms is already shorter than ${end}ms`);
      return;
    }
    item.truncatedMs = end;
    if (this.#active?.item === item && this.honorInterrupts) this.#cancel();
    this.#emit('conversation.item.truncated', { item_id: item.id, content_index: 0, audio_end_ms: end });
  }

  #respond(trigger: AnswerContext['trigger'], speech?: Uint8Array, instructions?: string): void {
    const outputs = this.#functionOutputs;
    this.#functionOutputs = [];
    const answer = this.hooks.answer?.({ session: this, trigger, speech, functionOutputs: outputs, instructions }) ?? {};
    this.responses++;
    const responseId = `resp_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    const item: ItemState = { id: newItemId(), role: 'assistant', type: 'message', text: '', sentBytes: 0 };
    this.#mark('response_created', responseId);
    this.#emit('response.created', { response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } });
    const calls: ScriptedCall[] = [...(answer.functionCall ? [answer.functionCall] : []), ...(answer.functionCalls ?? []), ...this.#magicCalls()];
    const speaks = answer.audio !== undefined || answer.toneMs !== undefined || answer.transcript !== undefined;

    if (calls.length > 0 && !speaks) {
      this.#active = { id: responseId, item, kind: 'function_call', calls, audio: new Uint8Array(0), offset: 0, startedAt: Date.now(), sent: 0, wordsSent: 0, transcript: '' };
      this.#active.timer = setTimeout(() => {
        if (this.#active?.id !== responseId) return;
        this.#finish('completed', this.#emitCalls(responseId, calls, 0));
      }, this.timings.firstAudioDelayMs);
      return;
    }

    let audio = answer.audio;
    if (!audio && !answer.toneMs && speech && speech.byteLength > 0) audio = convert(speech, this.inputFormat, this.outputFormat);
    if (!audio) audio = toneSequence(answer.toneMs ?? this.timings.answerMs, this.outputFormat);
    const ms = Math.round(audio.byteLength / bytesPerMs(this.outputFormat));
    const transcript = answer.transcript ?? `(answer ${ms} ms)`;
    item.text = transcript;
    this.items.push(item);
    const base = { id: item.id, object: 'realtime.item', type: 'message', role: 'assistant' };
    this.#active = { id: responseId, item, kind: 'audio', calls, audio, offset: 0, startedAt: Date.now(), sent: 0, wordsSent: 0, transcript };
    this.#emit('response.output_item.added', { response_id: responseId, output_index: 0, item: { ...base, status: 'in_progress', content: [] } });
    this.#emit('conversation.item.added', { item: { ...base, status: 'in_progress', content: [] } });
    this.#emit('response.content_part.added', { response_id: responseId, item_id: item.id, output_index: 0, content_index: 0, part: { type: 'audio', transcript: '' } });
    this.#active.timer = setTimeout(() => this.#stream(responseId), this.timings.firstAudioDelayMs);
  }

  /** Sends the active response's audio in deltas, paced by `realtimeFactor` against a fixed schedule (no drift). */
  #stream(responseId: string): void {
    const r = this.#active;
    if (!r || r.id !== responseId || this.closed) return;
    const bpm = bytesPerMs(this.outputFormat);
    const deltaBytes = Math.max(2, Math.round(this.timings.deltaMs * bpm) & ~1);
    const burst = !Number.isFinite(this.timings.realtimeFactor);
    do {
      const end = Math.min(r.audio.byteLength, r.offset + deltaBytes);
      const piece = r.audio.subarray(r.offset, end);
      r.offset = end;
      r.item.sentBytes = end;
      if (r.sent === 0) this.#mark('first_delta', r.item.id);
      if (this.#outputLen + piece.byteLength <= MAX_RECORDED_INPUT) {
        this.#output.push(piece);
        this.#outputLen += piece.byteLength;
      }
      this.#emit('response.output_audio.delta', {
        response_id: r.id,
        item_id: r.item.id,
        output_index: 0,
        content_index: 0,
        delta: Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('base64'),
      });
      // The transcript runs alongside the audio, a word share per audio share.
      const words = r.transcript.split(' ');
      const upto = Math.ceil((end / r.audio.byteLength) * words.length);
      if (upto > r.wordsSent) {
        const delta = words.slice(r.wordsSent, upto).join(' ');
        this.#emit('response.output_audio_transcript.delta', { response_id: r.id, item_id: r.item.id, output_index: 0, content_index: 0, delta: r.wordsSent ? ` ${delta}` : delta });
        r.wordsSent = upto;
      }
      r.sent++;
    } while (burst && r.offset < r.audio.byteLength);
    if (r.offset < r.audio.byteLength) {
      const due = r.startedAt + this.timings.firstAudioDelayMs + (r.sent * this.timings.deltaMs) / this.timings.realtimeFactor;
      r.timer = setTimeout(() => this.#stream(responseId), Math.max(0, due - Date.now()));
      return;
    }
    this.#completeAudio(r, 'completed');
  }

  #completeAudio(r: ActiveResponse, status: 'completed' | 'incomplete'): void {
    const base = { response_id: r.id, item_id: r.item.id, output_index: 0, content_index: 0 };
    this.#emit('response.output_audio.done', base);
    this.#emit('response.output_audio_transcript.done', { ...base, transcript: r.transcript });
    this.#emit('response.content_part.done', { ...base, part: { type: 'audio', transcript: r.transcript } });
    const item = { id: r.item.id, object: 'realtime.item', type: 'message', role: 'assistant', status, content: [{ type: 'output_audio', transcript: r.transcript }] };
    this.#emit('response.output_item.done', { response_id: r.id, output_index: 0, item });
    if (this.mode === 'ga') this.#emit('conversation.item.done', { item });
    const calls = status === 'completed' && r.calls.length > 0 ? this.#emitCalls(r.id, r.calls, 1) : [];
    this.#finish(status === 'completed' ? 'completed' : 'cancelled', [item, ...calls]);
  }

  /** Emits each function call as its own output item (added, arguments, done); returns the done items. */
  #emitCalls(responseId: string, calls: ScriptedCall[], firstIndex: number): unknown[] {
    const done: unknown[] = [];
    for (const [i, c] of calls.entries()) {
      const callId = `call_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const item: ItemState = { id: newItemId(), role: 'assistant', type: 'function_call', text: `${c.name}(${c.arguments})`, sentBytes: 0 };
      this.items.push(item);
      const output_index = firstIndex + i;
      const base = { id: item.id, object: 'realtime.item', type: 'function_call', call_id: callId, name: c.name };
      this.#emit('response.output_item.added', { response_id: responseId, output_index, item: { ...base, status: 'in_progress', arguments: '' } });
      this.#emit('conversation.item.added', { item: { ...base, status: 'in_progress', arguments: '' } });
      this.#emit('response.function_call_arguments.delta', { response_id: responseId, item_id: item.id, output_index, call_id: callId, delta: c.arguments });
      // Beta's arguments.done names no function (GA's does): a client must take the name from output_item.added/done.
      const named = this.mode === 'ga' ? { name: c.name } : {};
      this.#emit('response.function_call_arguments.done', { response_id: responseId, item_id: item.id, output_index, call_id: callId, ...named, arguments: c.arguments });
      const d = { ...base, status: 'completed', arguments: c.arguments };
      this.#emit('response.output_item.done', { response_id: responseId, output_index, item: d });
      if (this.mode === 'ga') this.#emit('conversation.item.done', { item: d });
      done.push(d);
    }
    return done;
  }

  /** Tool calls asked for by the magic phrase in the latest user item, each honoured once. */
  #magicCalls(): ScriptedCall[] {
    const user = this.items.findLast((i) => i.role === 'user' && i.type === 'message');
    if (!user || this.#magicUsed.has(user.id)) return [];
    this.#magicUsed.add(user.id);
    const calls: ScriptedCall[] = [];
    for (const m of user.text.matchAll(MAGIC_CALL)) calls.push({ name: m[1]!, arguments: m[2] ?? '{}' });
    return calls;
  }

  #mark(type: SimTimelineEntry['type'], id: string, audioMs?: number): void {
    if (this.timeline.length < MAX_TIMELINE) this.timeline.push({ type, at: performance.now(), id, audioMs });
  }

  #cancel(): void {
    const r = this.#active;
    if (!r) return;
    clearTimeout(r.timer);
    if (r.kind === 'audio') this.#completeAudio(r, 'incomplete');
    else this.#finish('cancelled', []);
  }

  #finish(status: string, output: unknown[]): void {
    const r = this.#active;
    if (!r) return;
    this.#active = undefined;
    const audioMs = r.sent > 0 ? r.offset / bytesPerMs(this.outputFormat) : 0;
    const audioTokens = Math.round(audioMs / 50);
    this.#emit('response.done', {
      response: {
        id: r.id,
        object: 'realtime.response',
        status,
        output,
        usage: {
          total_tokens: 20 + audioTokens + 10,
          input_tokens: 20,
          output_tokens: audioTokens + 10,
          input_token_details: { text_tokens: 10, audio_tokens: 10, cached_tokens: 5 },
          output_token_details: { text_tokens: 10, audio_tokens: audioTokens },
        },
      },
    });
  }

  #error(type: string, code: string, message: string): void {
    this.#emit('error', { error: { type, code, message, param: null, event_id: null } });
  }

  #emit(gaType: string, payload: Record<string, unknown>): void {
    if (this.closed) return;
    this.#eventSeq++;
    this.sendText(JSON.stringify({ type: serverEventName(gaType, this.mode), event_id: `event_${this.#eventSeq}`, ...payload }));
  }
}

function newItemId(): string {
  return `item_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}
