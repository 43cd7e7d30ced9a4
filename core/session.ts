import { randomUUID } from 'node:crypto';
import type { AgentConfig } from './agent-config.ts';
import { type AudioChunk, type AudioFormat, sameFormat } from './audio-format.ts';
import type { CallInfo, CallerLeg } from './caller-leg.ts';
import type { GatewayContext } from './gateway-context.ts';
import { Histogram } from './histogram.ts';
import type { Logger } from './log.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { FunctionCall, RealtimeLeg } from './realtime/realtime-leg.ts';
import type { Usage } from './realtime/server-events.ts';
import { sessionUpdate } from './realtime/session-update.ts';
import type { SessionEvent, SessionEventInput } from './session-events.ts';
import { cutTranscript } from './transcript-cut.ts';

/** Opens a model leg for this session's config (also used to replace a dropped or expiring one). */
export type ModelFactory = (config: AgentConfig, format: AudioFormat, log: Logger) => RealtimeLeg;

export interface SessionOptions {
  ctx: GatewayContext;
  metrics: GatewayMetrics;
  caller: CallerLeg;
  openModel: ModelFactory;
  /** A model leg opened ahead of the call (at /twiml time), so the first turn does not wait for the handshake. */
  model?: RealtimeLeg;
  config?: AgentConfig;
  /** The call is already identified (the caller leg's `start` came before the session was made). */
  info?: CallInfo;
}

/** Usage from `response.done`, summed over the call. */
interface UsageTotals {
  responses: number;
  inputTokens: number;
  outputTokens: number;
  inputAudioTokens: number;
  inputTextTokens: number;
  cachedTokens: number;
  outputAudioTokens: number;
  outputTextTokens: number;
}

/**
 * One conversation: a caller leg and a model leg, joined. The session owns barge-in (truncate at what the caller
 * heard, clear, drop stale audio), tool calls, transcripts, DTMF, the greeting, live config, metrics and the events
 * that storage and dashboards see. Nothing here is shared between sessions; the first fatal error ends this session
 * only.
 */
export class Session {
  readonly id = randomUUID();
  readonly log: Logger;
  readonly caller: CallerLeg;
  readonly startedAt = Date.now();
  info: CallInfo | undefined;
  config: AgentConfig;
  ended = false;
  endReason = '';

  #ctx: GatewayContext;
  #metrics: GatewayMetrics;
  #openModel: ModelFactory;
  #model!: RealtimeLeg;
  #abort = new AbortController();
  #endedListeners: Array<(reason: string) => void> = [];
  #pendingConfig: AgentConfig | undefined;
  #responseWanted = false;
  #toolsRunning = 0;
  #speechStoppedAt = 0;
  #awaitingFirstAudio = false;
  #truncatedAt = new Map<string, number>();
  #usage: UsageTotals = {
    responses: 0,
    inputTokens: 0,
    outputTokens: 0,
    inputAudioTokens: 0,
    inputTextTokens: 0,
    cachedTokens: 0,
    outputAudioTokens: 0,
    outputTextTokens: 0,
  };
  readonly turnLatency = new Histogram();
  readonly frameLatency = new Histogram();
  readonly toolDurations = new Histogram();
  bargeIns = 0;

  constructor(opts: SessionOptions) {
    this.#ctx = opts.ctx;
    this.#metrics = opts.metrics;
    this.caller = opts.caller;
    this.config = opts.config ?? opts.ctx.agentConfig();
    this.#openModel = opts.openModel;
    this.log = opts.ctx.log.child({ sessionId: this.id, leg: this.caller.kind });
    this.#metrics.counters.sessionsStarted++;
    this.#metrics.sessionsActive++;
    this.#attachModel(opts.model ?? this.#openModel(this.config, this.caller.format, this.log));
    this.#attachCaller();
    if (opts.info) this.#onStart(opts.info);
  }

  /** Calls `fn` once the session has ended. */
  onEnded(fn: (reason: string) => void): void {
    if (this.ended) fn(this.endReason);
    else this.#endedListeners.push(fn);
  }

  get model(): RealtimeLeg {
    return this.#model;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** A new active config arrived (bus): applied now if the model is between turns, else when the response ends. */
  configChanged(config: AgentConfig): void {
    this.#pendingConfig = config;
    this.#applyPendingConfig();
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.endReason = reason;
    this.#abort.abort(new Error(reason));
    this.#model.close(reason);
    this.caller.close(reason);
    this.#metrics.sessionsActive--;
    this.#metrics.counters.sessionsEnded++;
    this.#metrics.counters.framesIn += this.caller.counters.framesIn;
    this.#metrics.counters.framesOut += this.caller.counters.framesOut;
    this.#metrics.counters.framesDropped += this.caller.counters.dropped + this.#model.counters.dropped;
    this.#metrics.counters.invalidMessages += this.caller.counters.invalid + this.#model.counters.invalid;
    this.#record({ type: 'session.ended', reason, metrics: this.metricsSnapshot(), usage: { ...this.#usage } });
    this.log.info({ reason, durationMs: Date.now() - this.startedAt }, 'session ended');
    for (const fn of this.#endedListeners.splice(0)) fn(reason);
  }

  metricsSnapshot(): Record<string, unknown> {
    return {
      durationMs: Date.now() - this.startedAt,
      framesIn: this.caller.counters.framesIn,
      framesOut: this.caller.counters.framesOut,
      framesDropped: this.caller.counters.dropped + this.#model.counters.dropped,
      invalidMessages: this.caller.counters.invalid + this.#model.counters.invalid,
      bargeIns: this.bargeIns,
      voiceToVoiceMs: this.turnLatency.summary(),
      frameLatencyMs: this.frameLatency.summary(),
      toolDurationMs: this.toolDurations.summary(),
    };
  }

  get usage(): Readonly<UsageTotals> {
    return this.#usage;
  }

  #record(event: SessionEventInput): void {
    this.#ctx.sink.record({ ...event, sessionId: this.id, at: Date.now() } as SessionEvent);
  }

  #attachCaller(): void {
    const caller = this.caller;
    caller.onAudio = (chunk) => this.#model.sendAudio(chunk);
    caller.events.on('start', (info) => this.#onStart(info));
    caller.events.on('dtmf', (digit) => this.#onDtmf(digit));
    caller.events.on('closed', (reason) => this.end(reason));
  }

  #attachModel(model: RealtimeLeg): void {
    this.#model = model;
    if (!sameFormat(model.inputFormat, this.caller.format) || !sameFormat(model.outputFormat, this.caller.format)) {
      // TODO(codecs): insert codecs/transcode stages when a deployment pairs a phone caller with a PCM model leg.
      this.log.warn('caller and model formats differ; transcoding is not wired yet');
    }
    model.onAudio = (chunk) => this.#onModelAudio(chunk);
    const e = model.events;
    e.on('speechStarted', (itemId) => this.#onSpeechStarted(itemId));
    e.on('speechStopped', () => {
      this.#speechStoppedAt = performance.now();
      this.#awaitingFirstAudio = true;
    });
    e.on('userTranscript', (itemId, text) => this.#record({ type: 'transcript', role: 'user', itemId, text }));
    e.on('assistantTranscript', (itemId, text) => this.#onAssistantTranscript(itemId, text));
    e.on('audioDone', (itemId) => this.caller.audioDone(itemId));
    e.on('functionCall', (call) => this.#onFunctionCall(call));
    e.on('responseDone', (_id, status, usage) => this.#onResponseDone(status, usage));
    e.on('error', (err) => {
      if (err.code === 'conversation_already_has_active_response') {
        this.log.info('model already has an active response; response.create deferred');
        this.#responseWanted = true;
        return;
      }
      this.log.warn({ code: err.code, msg: err.message }, 'model error');
      this.#record({ type: 'error', code: err.code, message: err.message });
      if (err.code === 'model_connect_timeout') this.end('model unreachable');
    });
    e.on('closed', (code, reason, expected) => {
      if (expected || this.ended) return;
      this.log.warn({ code, reason }, 'model socket closed');
      this.end('model disconnected');
    });
  }

  #onStart(info: CallInfo): void {
    this.info = info;
    this.log.info({ callSid: info.callSid, streamSid: info.streamSid }, 'call started');
    this.#record({
      type: 'session.started',
      kind: this.caller.kind,
      callSid: info.callSid,
      streamSid: info.streamSid,
      from: info.from,
      to: info.to,
      configName: this.config.name,
      config: this.config as unknown as Record<string, unknown>,
    });
    if (this.config.greeting) this.#model.createResponse(this.config.greeting);
  }

  #onModelAudio(chunk: AudioChunk): void {
    if (this.#awaitingFirstAudio) {
      this.#awaitingFirstAudio = false;
      const ms = performance.now() - this.#speechStoppedAt;
      this.turnLatency.record(ms);
      this.#metrics.voiceToVoiceMs.record(ms);
    }
    this.caller.sendAudio(chunk);
    const added = performance.now() - chunk.at;
    this.frameLatency.record(added);
    this.#metrics.frameLatencyMs.record(added);
  }

  /** Barge-in: the caller started talking over the model. */
  #onSpeechStarted(userItemId: string): void {
    const t0 = performance.now();
    const heard = this.caller.interrupt(t0);
    if (!heard) return;
    // The server rejects an audio_end_ms past what it sent for the item.
    const endMs = Math.min(heard.heardMs, this.#model.audioMsOf(heard.itemId));
    this.#model.truncate(heard.itemId, endMs);
    const ms = performance.now() - t0;
    this.#metrics.bargeInToClearMs.record(ms);
    this.#metrics.counters.bargeIns++;
    this.bargeIns++;
    this.#truncatedAt.set(heard.itemId, endMs);
    if (this.#truncatedAt.size > 32) this.#truncatedAt.delete(this.#truncatedAt.keys().next().value!);
    this.#record({ type: 'event', name: 'barge_in', data: { itemId: heard.itemId, audioEndMs: Math.round(endMs), userItemId } });
  }

  #onAssistantTranscript(itemId: string, text: string): void {
    const cut = this.#truncatedAt.get(itemId);
    if (cut === undefined) {
      this.#record({ type: 'transcript', role: 'assistant', itemId, text });
      return;
    }
    const total = this.#model.audioMsOf(itemId);
    this.#record({ type: 'transcript', role: 'assistant', itemId, text: cutTranscript(text, cut, total), truncated: true });
  }

  #onDtmf(digit: string): void {
    this.#model.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `The caller pressed ${digit}` }] },
    });
    this.#record({ type: 'event', name: 'dtmf', data: { digit } });
  }

  #onFunctionCall(call: FunctionCall): void {
    this.#toolsRunning++;
    this.#metrics.counters.toolCalls++;
    const info = this.info;
    this.#ctx.tools
      .run(call.name, call.arguments, {
        sessionId: this.id,
        kind: this.caller.kind,
        callSid: info?.callSid,
        from: info?.from,
        to: info?.to,
        signal: this.#abort.signal,
        log: this.log.child({ tool: call.name }),
        playbackDone: () => this.caller.playbackDone(),
      })
      .then((result) => {
        this.#toolsRunning--;
        this.toolDurations.record(result.durationMs);
        this.#metrics.toolDurationMs.record(result.durationMs);
        if (!result.ok) this.#metrics.counters.toolErrors++;
        this.#record({
          type: 'tool_call',
          callId: call.callId,
          name: call.name,
          arguments: call.arguments,
          output: result.output,
          ok: result.ok,
          durationMs: result.durationMs,
        });
        if (this.ended) return;
        this.#model.sendFunctionOutput(call.callId, result.output);
        this.#responseWanted = true;
        this.#maybeCreateResponse();
      });
  }

  #onResponseDone(status: string, usage: Usage | undefined): void {
    if (usage) this.#addUsage(usage);
    this.#applyPendingConfig();
    this.#maybeCreateResponse();
    if (status === 'failed') this.log.warn('model response failed');
  }

  /** One `response.create` after every tool of a response has answered, and only when no response is active. */
  #maybeCreateResponse(): void {
    if (!this.#responseWanted || this.#toolsRunning > 0 || this.#model.activeResponse) return;
    this.#responseWanted = false;
    this.#model.createResponse();
  }

  #applyPendingConfig(): void {
    const config = this.#pendingConfig;
    if (!config || this.#model.activeResponse || this.ended) return;
    this.#pendingConfig = undefined;
    this.config = config;
    this.#model.send(this.#sessionUpdate(config));
    this.#record({ type: 'event', name: 'config_applied', data: { name: config.name } });
  }

  #sessionUpdate(config: AgentConfig): Record<string, unknown> {
    const m = this.#model;
    return sessionUpdate(m.mode, { config, inputFormat: m.inputFormat, outputFormat: m.outputFormat, tools: this.#ctx.tools.schemas(config.enabledTools) });
  }

  #addUsage(u: Usage): void {
    const t = this.#usage;
    t.responses++;
    t.inputTokens += u.input_tokens ?? 0;
    t.outputTokens += u.output_tokens ?? 0;
    t.inputAudioTokens += u.input_token_details?.audio_tokens ?? 0;
    t.inputTextTokens += u.input_token_details?.text_tokens ?? 0;
    t.cachedTokens += u.input_token_details?.cached_tokens ?? 0;
    t.outputAudioTokens += u.output_token_details?.audio_tokens ?? 0;
    t.outputTextTokens += u.output_token_details?.text_tokens ?? 0;
  }
}
