import { randomUUID } from 'node:crypto';
import type { AgentConfig } from './agent-config.ts';
import { apologyCue } from './apology-cue.ts';
import { truncationsFor } from './barge-in.ts';
import { type AudioChunk, type AudioFormat, base64ByteLength, bytesPerMs } from './audio-format.ts';
import { type AudioPath, audioPath } from './audio-path.ts';
import type { CallInfo, CallerLeg } from './caller-leg.ts';
import { ConversationLog } from './conversation-log.ts';
import type { GatewayContext } from './gateway-context.ts';
import { HeardTranscripts } from './heard-transcripts.ts';
import { Histogram } from './histogram.ts';
import { InputClock } from './input-clock.ts';
import type { Logger } from './log.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { FunctionCall, RealtimeLeg } from './realtime/realtime-leg.ts';
import { sessionUpdate } from './realtime/session-update.ts';
import { ResponseGate } from './response-gate.ts';
import type { SessionEvent, SessionEventInput } from './session-events.ts';
import { ModelRollover, type SwitchReason } from './session-rollover.ts';
import { SwitchBuffer } from './switch-buffer.ts';
import { ToolRunner } from './tool-runner.ts';
import { TurnMetrics } from './turn-metrics.ts';
import { UsageTotals } from './usage-totals.ts';

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

/** The apology cue's item id: never a model item, so a barge-in over it truncates nothing. */
const APOLOGY_ITEM = 'voxbridge-apology';
/** A response not created this long after speech stopped is not coming. */
const AWAIT_RESPONSE_MS = 3000;
/** At most this long for the apology to play before the call is ended anyway. */
const APOLOGY_WAIT_MS = 4000;

/**
 * One conversation: a caller leg and a model leg, joined. The session owns barge-in (truncate at what the caller
 * heard, clear, drop stale audio), tool calls, transcripts, DTMF, the greeting, live config, model connection
 * rollover, metrics and the events that storage and dashboards see. Nothing here is shared between sessions; the first
 * fatal error ends this session only.
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
  /** Caller → model and model → caller audio: the sink itself, or an inline transcoder (core/audio-path.ts). */
  #toModel!: AudioPath;
  #toCaller!: AudioPath;
  #abort = new AbortController();
  #endedListeners: Array<(reason: string) => void> = [];
  #pendingConfig: AgentConfig | undefined;
  #gate: ResponseGate;
  #tools: ToolRunner;
  #rollover: ModelRollover;
  readonly conversation = new ConversationLog();
  #transcripts: HeardTranscripts;
  #turns: TurnMetrics;
  #usage = new UsageTotals();
  #clock = new InputClock();
  #inBytesPerMs: number;
  /** Caller audio held while the model connection is being replaced. */
  #switchBuffer = new SwitchBuffer(250);
  /** Items the caller interrupted: their audio still in flight from the model is dropped on arrival. */
  /** The assistant audio item the current connection is producing now (set at output_item.added). */
  #modelItem: string | undefined;
  #userSpeaking = false;
  /**
   * When speech stopped and its response has not been created yet (0: none awaited): a turn is in flight even though
   * nothing plays. Past AWAIT_RESPONSE_MS the model is taken not to answer (it may not, e.g. for noise).
   */
  #awaitingResponseSince = 0;
  #speechStoppedAt = 0;
  #awaitingFirstAudio = false;
  /** Audio has been sent to the caller that may not have played yet. */
  #playing = false;
  #audioSeq = 0;
  /** The last item whose audio went to the caller. */
  #lastSentItem: string | undefined;
  /** The item that may still be playing from a retired connection, and how much audio that connection sent for it. */
  #retiredItem = { itemId: '', ms: 0 };
  /** Items and their audio as the barge-in sees them: the current connection's, and the one still playing from before. */
  readonly #items = {
    audioMsOf: (id: string) => (this.#model.knowsItem(id) ? this.#model.audioMsOf(id) : id === this.#retiredItem.itemId ? this.#retiredItem.ms : 0),
    knowsItem: (id: string) => this.#model.knowsItem(id),
  };
  #modelsOpened = 1;
  #droppedBefore = 0;
  readonly turnLatency = new Histogram();
  readonly frameLatency = new Histogram();
  readonly toolDurations = new Histogram();
  bargeIns = 0;
  rollovers = 0;

  constructor(opts: SessionOptions) {
    this.#ctx = opts.ctx;
    this.#metrics = opts.metrics;
    this.caller = opts.caller;
    this.config = opts.config ?? opts.ctx.agentConfig();
    this.#openModel = opts.openModel;
    this.log = opts.ctx.log.child({ sessionId: this.id, leg: this.caller.kind });
    this.#inBytesPerMs = bytesPerMs(this.caller.format);
    this.#metrics.counters.sessionsStarted++;
    this.#metrics.sessionsActive++;
    this.#gate = new ResponseGate((instructions) => this.#model.createResponse(instructions), this.log);
    this.#tools = new ToolRunner(opts.ctx.tools, this.log);
    this.#transcripts = new HeardTranscripts((itemId, text, truncated) => this.#assistantHeard(itemId, text, truncated));
    this.#turns = new TurnMetrics((t) => this.#record({ type: 'event', name: 'turn', data: { ...t } }));
    this.#rollover = new ModelRollover(
      {
        log: this.log,
        openLeg: () => this.#newLeg(),
        betweenTurns: () => this.#betweenTurns(),
        switchTo: (leg, reason) => this.#switchTo(leg, reason),
        giveUp: (reason) => this.#giveUp(reason),
      },
      { maxSessionMs: opts.ctx.config.MODEL_SESSION_MAX_MS },
    );
    const first = opts.model ?? this.#openModel(this.config, this.caller.format, this.log);
    this.#attachModel(first);
    this.#rollover.started(first);
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

  get usage(): Readonly<UsageTotals> {
    return this.#usage;
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
    this.#rollover.close();
    this.#gate.close();
    this.#model.close(reason);
    this.caller.close(reason);
    this.#transcripts.played();
    this.#turns.close(this.caller.counters, this.#model.counters.dropped);
    this.#metrics.sessionsActive--;
    this.#metrics.counters.sessionsEnded++;
    this.#metrics.counters.framesIn += this.caller.counters.framesIn;
    this.#metrics.counters.framesOut += this.caller.counters.framesOut;
    this.#metrics.counters.framesDropped += this.caller.counters.dropped + this.#modelDropped();
    // The caller leg counts its invalid messages gateway-wide as they come; the model leg's are added here.
    this.#metrics.counters.invalidMessages += this.#model.counters.invalid;
    this.#record({ type: 'session.ended', reason, metrics: this.metricsSnapshot(), usage: this.#usage.toJSON() });
    this.log.info({ reason, durationMs: Date.now() - this.startedAt }, 'session ended');
    for (const fn of this.#endedListeners.splice(0)) fn(reason);
  }

  metricsSnapshot(): Record<string, unknown> {
    return {
      durationMs: Date.now() - this.startedAt,
      framesIn: this.caller.counters.framesIn,
      framesOut: this.caller.counters.framesOut,
      framesDropped: this.caller.counters.dropped + this.#modelDropped(),
      invalidMessages: this.caller.counters.invalid + this.#model.counters.invalid,
      bargeIns: this.bargeIns,
      modelConnections: this.#modelsOpened,
      rollovers: this.rollovers,
      voiceToVoiceMs: this.turnLatency.summary(),
      frameLatencyMs: this.frameLatency.summary(),
      toolDurationMs: this.toolDurations.summary(),
    };
  }

  /** Audio dropped on the model side: by the connection's own queue, by earlier connections, or while switching. */
  #modelDropped(): number {
    return this.#droppedBefore + this.#model.counters.dropped + this.#switchBuffer.dropped;
  }

  #record(event: SessionEventInput): void {
    this.#ctx.sink.record({ ...event, sessionId: this.id, at: Date.now() } as SessionEvent);
  }

  #attachCaller(): void {
    const caller = this.caller;
    caller.onAudio = (chunk) => this.#onCallerAudio(chunk);
    caller.events.on('start', (info) => this.#onStart(info));
    caller.events.on('dtmf', (digit) => this.#onDtmf(digit));
    caller.events.on('closed', (reason) => this.end(reason));
  }

  /** The per-frame path, caller → model: relay, and note when this audio went out (for voice-to-voice). */
  #onCallerAudio(chunk: AudioChunk): void {
    if (this.#switchBuffer.active) {
      this.#switchBuffer.push(chunk);
      return;
    }
    this.#toModel.push(chunk);
    const bytes = chunk.wire !== undefined ? base64ByteLength(chunk.wire) : (chunk.data?.byteLength ?? 0);
    this.#clock.push(bytes / this.#inBytesPerMs, chunk.at);
    this.#metrics.inboundFrameLatencyMs.record(performance.now() - chunk.at);
  }

  #newLeg(): RealtimeLeg {
    this.#modelsOpened++;
    return this.#openModel(this.config, this.caller.format, this.log);
  }

  #attachModel(model: RealtimeLeg): void {
    this.#model = model;
    // No stage at all when the formats match (Twilio mu-law ↔ a mu-law model): the relay touches no sample.
    this.#toModel = audioPath(this.caller.format, model.inputFormat, (c) => model.sendAudio(c));
    this.#toCaller = audioPath(model.outputFormat, this.caller.format, (c) => this.caller.sendAudio(c));
    // Every handler checks that its leg is still the session's: a retired connection may still deliver a few events.
    const live = () => model === this.#model && !this.ended;
    model.onAudio = (chunk) => {
      if (model === this.#model) this.#onModelAudio(chunk);
    };
    const e = model.events;
    e.on('open', () => {
      if (live()) this.#flushSwitchBuffer();
    });
    e.on('speechStarted', (itemId) => live() && this.#onSpeechStarted(itemId));
    e.on('speechStopped', (itemId, audioEndMs) => live() && this.#onSpeechStopped(itemId, audioEndMs));
    e.on('userTranscript', (itemId, text) => {
      if (!live()) return;
      this.conversation.userText(itemId, text);
      this.#record({ type: 'transcript', role: 'user', itemId, text });
    });
    e.on('itemAdded', (itemId, type) => {
      if (!live() || type !== 'message') return;
      this.#modelItem = itemId;
      this.conversation.assistantSlot(itemId);
    });
    e.on('assistantTranscript', (itemId, text) => {
      if (!live()) return;
      this.conversation.assistantText(itemId, text);
      this.#transcripts.arrived(itemId, text, model.audioMsOf(itemId), this.#playing);
      if (this.#playing) this.#watchPlayback();
    });
    e.on('audioDone', (itemId) => {
      if (!live()) return;
      this.#toCaller.end(itemId);
      this.caller.audioDone(itemId);
    });
    e.on('functionCall', (call) => live() && this.#onFunctionCall(call));
    e.on('responseCreated', (id) => {
      if (!live()) return;
      this.#awaitingResponseSince = 0;
      this.#gate.created(id);
    });
    e.on('responseDone', (id, status, usage) => {
      if (usage) this.#usage.add(usage);
      if (!live()) return;
      this.#modelItem = undefined;
      this.#gate.done(id);
      this.#applyPendingConfig();
      if (status === 'failed') this.log.warn('model response failed');
      if (this.#playing) this.#watchPlayback();
    });
    e.on('error', (err) => {
      if (!live()) return;
      if (err.code === 'conversation_already_has_active_response') return this.#gate.activeResponseError();
      this.log.warn({ code: err.code, msg: err.message }, 'model error');
      this.#record({ type: 'error', code: err.code, message: err.message });
    });
    e.on('closed', (code, reason) => {
      if (!live()) return;
      this.log.warn({ code, reason }, 'model connection closed under the call');
      // Hold the caller's audio until a new connection takes it: nothing is dropped silently.
      this.#switchBuffer.start();
      this.#rollover.lost(reason || `closed (${code})`);
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
    if (this.config.greeting) this.#gate.want(this.config.greeting);
  }

  /** The per-frame path, model → caller. */
  #onModelAudio(chunk: AudioChunk): void {
    const itemId = chunk.itemId;
    // Stale audio of an interrupted item: the caller leg keeps the one list of discarded items.
    if (itemId !== undefined && this.caller.isDiscarded(itemId)) {
      this.caller.counters.dropped++;
      return;
    }
    if (this.#awaitingFirstAudio) {
      this.#awaitingFirstAudio = false;
      const ms = performance.now() - this.#speechStoppedAt;
      this.turnLatency.record(ms);
      this.#metrics.voiceToVoiceMs.record(ms);
      this.#turns.voiceToVoice(ms);
    }
    this.#playing = true;
    this.#audioSeq++;
    this.#lastSentItem = itemId;
    this.#toCaller.push(chunk);
    const added = performance.now() - chunk.at;
    this.frameLatency.record(added);
    this.#metrics.frameLatencyMs.record(added);
  }

  #onSpeechStopped(itemId: string, audioEndMs: number): void {
    this.#userSpeaking = false;
    this.#awaitingResponseSince = performance.now();
    this.conversation.userSlot(itemId);
    // `audio_end_ms` includes the silence server VAD waited for: the caller stopped speaking that much earlier.
    const td = this.config.turnDetection;
    const stoppedMs = audioEndMs - (td.type === 'server_vad' ? td.silenceDurationMs : 0);
    this.#speechStoppedAt = this.#clock.timeAt(stoppedMs) ?? performance.now();
    this.#awaitingFirstAudio = true;
  }

  /** Barge-in: the caller started talking over the model. */
  #onSpeechStarted(userItemId: string): void {
    const t0 = performance.now();
    this.#userSpeaking = true;
    this.#awaitingFirstAudio = false;
    this.#turns.next(userItemId, this.caller.counters, this.#modelDropped());
    const heard = this.caller.interrupt(t0);
    const streaming = this.#modelItem;
    if (!heard && !streaming) return;
    // `interrupt` discarded the item being heard; an item still streaming is dropped from now on too.
    if (streaming) this.caller.discard(streaming);
    this.#metrics.bargeInToClearMs.record(performance.now() - t0);
    this.#metrics.counters.bargeIns++;
    this.bargeIns++;
    // The apology cue is the gateway's own audio: no model item to cut.
    const cuts = truncationsFor(heard?.itemId === APOLOGY_ITEM ? undefined : heard, streaming, this.#lastSentItem, this.#items);
    for (const t of cuts) {
      if (t.send) this.#model.truncate(t.itemId, t.audioEndMs);
      this.#transcripts.cut(t.itemId, t.audioEndMs, t.sentMs);
    }
    const truncated = cuts[0] && { itemId: cuts[0].itemId, ms: cuts[0].audioEndMs };
    if (truncated) this.#turns.truncated(truncated.itemId, truncated.ms);
    this.#record({ type: 'event', name: 'barge_in', data: { itemId: truncated?.itemId, audioEndMs: truncated ? Math.floor(truncated.ms) : undefined, userItemId } });
  }

  /** Once the caller has heard everything sent so far, held transcripts are released and the line is quiet. */
  #watchPlayback(): void {
    const seq = this.#audioSeq;
    void this.caller.playbackDone().then(() => {
      if (this.ended) return;
      this.#transcripts.played();
      if (seq === this.#audioSeq) this.#playing = false;
    });
  }

  #assistantHeard(itemId: string, text: string, truncated: boolean): void {
    if (truncated) this.conversation.assistantText(itemId, text);
    this.#record({ type: 'transcript', role: 'assistant', itemId, text, ...(truncated ? { truncated: true } : {}) });
  }

  #onDtmf(digit: string): void {
    const text = `The caller pressed ${digit}`;
    this.#model.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    this.conversation.userText(undefined, text);
    this.#record({ type: 'event', name: 'dtmf', data: { digit } });
  }

  #onFunctionCall(call: FunctionCall): void {
    if (!this.#tools.claim(call.callId)) return;
    this.#gate.toolStarted();
    this.#metrics.counters.toolCalls++;
    this.conversation.functionCall(call.callId, call.name, call.arguments);
    const info = this.info;
    void this.#tools
      .run(call, {
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
        this.toolDurations.record(result.durationMs);
        this.#metrics.toolDurationMs.record(result.durationMs);
        this.#turns.tool(call.name, result.durationMs, result.ok);
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
        this.conversation.functionOutput(call.callId, result.output);
        this.#model.sendFunctionOutput(call.callId, result.output);
        this.#gate.want();
        this.#gate.toolFinished();
      });
  }

  #applyPendingConfig(): void {
    const config = this.#pendingConfig;
    if (!config || this.#gate.busy || this.ended) return;
    this.#pendingConfig = undefined;
    this.config = config;
    this.#model.send(this.#sessionUpdate(config));
    this.#record({ type: 'event', name: 'config_applied', data: { name: config.name } });
  }

  #sessionUpdate(config: AgentConfig): Record<string, unknown> {
    const m = this.#model;
    return sessionUpdate(m.mode, { config, inputFormat: m.inputFormat, outputFormat: m.outputFormat, tools: this.#ctx.tools.schemas(config.enabledTools) });
  }

  /** A quiet moment: switching model connections now loses nothing and nobody hears it. */
  #betweenTurns(): boolean {
    return !this.ended && !this.#gate.busy && this.#gate.toolsRunning === 0 && !this.#userSpeaking && !this.#awaitingResponse() && !this.#playing;
  }

  #awaitingResponse(): boolean {
    return this.#awaitingResponseSince > 0 && performance.now() - this.#awaitingResponseSince < AWAIT_RESPONSE_MS;
  }

  /** Makes `leg` the model connection: the conversation so far is replayed on it, the old one is closed. */
  #switchTo(leg: RealtimeLeg, reason: SwitchReason): void {
    if (this.ended) {
      leg.close('session ended');
      return;
    }
    const old = this.#model;
    // A response cut off with its connection is owed again; one asked for and not yet made is owed too.
    const lostResponse = this.#gate.busy || this.#awaitingResponse();
    this.#droppedBefore += old.counters.dropped;
    if (this.#lastSentItem && old.knowsItem(this.#lastSentItem)) this.#retiredItem = { itemId: this.#lastSentItem, ms: old.audioMsOf(this.#lastSentItem) };
    this.#metrics.counters.invalidMessages += old.counters.invalid;
    this.#attachModel(leg);
    if (old !== leg) old.close(reason);
    this.#modelItem = undefined;
    this.#userSpeaking = false;
    this.#awaitingResponseSince = 0;
    this.#awaitingFirstAudio = false;
    this.#clock.reset();
    this.#gate.reset();
    const replay = this.conversation.replay(leg.mode);
    for (const event of replay) leg.send(event);
    if (this.#pendingConfig) this.#applyPendingConfig();
    if (leg.isOpen) this.#flushSwitchBuffer();
    else this.#switchBuffer.start();
    this.rollovers++;
    this.#metrics.counters.modelReconnects++;
    this.log.info({ reason, replayed: replay.length, open: leg.isOpen }, 'model connection replaced');
    this.#record({ type: 'event', name: reason === 'reconnect' ? 'model_reconnect' : 'model_rollover', data: { reason, replayedItems: replay.length } });
    if (lostResponse) this.#gate.want();
    else this.#gate.poke();
  }

  #flushSwitchBuffer(): void {
    if (!this.#switchBuffer.active) return;
    const chunks = this.#switchBuffer.stop();
    for (const chunk of chunks) this.#onCallerAudio(chunk);
    if (chunks.length > 0) this.log.info({ frames: chunks.length, dropped: this.#switchBuffer.dropped }, 'caller audio held during the switch sent');
  }

  /** The model cannot be reached: the caller hears a short cue, then the call ends (no silent hang, no abrupt drop). */
  #giveUp(reason: string): void {
    if (this.ended) return;
    this.#record({ type: 'error', code: 'model_unreachable', message: reason });
    this.#switchBuffer.stop();
    const cue = apologyCue(this.caller.format);
    this.caller.sendAudio({ format: this.caller.format, data: cue, at: performance.now(), itemId: APOLOGY_ITEM });
    this.caller.audioDone(APOLOGY_ITEM);
    const timer = setTimeout(() => this.end(reason), APOLOGY_WAIT_MS);
    void this.caller.playbackDone().then(() => {
      clearTimeout(timer);
      this.end(reason);
    });
  }
}
