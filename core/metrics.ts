import { Histogram } from './histogram.ts';

/**
 * Gateway-wide counters and histograms, rendered as Prometheus text on `/metrics`. One instance per gateway (passed
 * in, never module state), so gateways in one process keep separate figures.
 */
export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
}

export class GatewayMetrics {
  readonly counters = {
    sessionsStarted: 0,
    sessionsEnded: 0,
    framesIn: 0,
    framesOut: 0,
    framesDropped: 0,
    invalidMessages: 0,
    bargeIns: 0,
    toolCalls: 0,
    toolErrors: 0,
    modelReconnects: 0,
  };
  sessionsActive = 0;
  /** Gateway-added latency per outbound frame: arrival from the model to handed to the caller's socket. */
  readonly frameLatencyMs = new Histogram();
  /** Gateway-added latency per inbound frame: arrival from the caller to handed to the model's socket. */
  readonly inboundFrameLatencyMs = new Histogram();
  /** Caller stopped speaking (speech_stopped) to first model audio sent to the caller. */
  readonly voiceToVoiceMs = new Histogram();
  readonly bargeInToClearMs = new Histogram();
  readonly toolDurationMs = new Histogram();

  #sources: Array<() => MetricSample[]> = [];

  /** Adds figures owned elsewhere (storage's writer, a pool) to `/metrics`, read at each scrape. */
  addSource(source: () => MetricSample[]): void {
    this.#sources.push(source);
  }

  render(): string {
    const lines: string[] = [];
    const c = this.counters;
    const counter = (name: string, help: string, v: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`);
    const gauge = (name: string, help: string, v: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    const summary = (name: string, help: string, h: Histogram) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`);
      lines.push(`${name}{quantile="0.5"} ${h.quantile(0.5) / 1000}`, `${name}{quantile="0.99"} ${h.quantile(0.99) / 1000}`);
      lines.push(`${name}_sum ${h.sum / 1000}`, `${name}_count ${h.count}`);
    };
    gauge('voxbridge_sessions_active', 'Sessions in progress.', this.sessionsActive);
    counter('voxbridge_sessions_started_total', 'Sessions started.', c.sessionsStarted);
    counter('voxbridge_sessions_ended_total', 'Sessions ended.', c.sessionsEnded);
    counter('voxbridge_frames_in_total', 'Audio frames received from callers.', c.framesIn);
    counter('voxbridge_frames_out_total', 'Audio frames sent to callers.', c.framesOut);
    counter('voxbridge_frames_dropped_total', 'Audio frames dropped (stale after barge-in, or past a bound).', c.framesDropped);
    counter('voxbridge_invalid_messages_total', 'Messages that did not fit their protocol.', c.invalidMessages);
    counter('voxbridge_barge_ins_total', 'Interruptions by the caller.', c.bargeIns);
    counter('voxbridge_tool_calls_total', 'Tool calls run.', c.toolCalls);
    counter('voxbridge_tool_errors_total', 'Tool calls that failed.', c.toolErrors);
    counter('voxbridge_model_reconnects_total', 'Model connections replaced mid-call.', c.modelReconnects);
    summary('voxbridge_frame_latency_seconds', 'Gateway-added latency per outbound frame.', this.frameLatencyMs);
    summary('voxbridge_inbound_frame_latency_seconds', 'Gateway-added latency per inbound frame.', this.inboundFrameLatencyMs);
    summary('voxbridge_voice_to_voice_seconds', 'Caller stopped speaking to first model audio sent.', this.voiceToVoiceMs);
    summary('voxbridge_barge_in_to_clear_seconds', 'speech_started to clear sent.', this.bargeInToClearMs);
    summary('voxbridge_tool_duration_seconds', 'Tool call durations.', this.toolDurationMs);
    for (const source of this.#sources) {
      for (const m of source()) (m.type === 'counter' ? counter : gauge)(m.name, m.help, m.value);
    }
    return `${lines.join('\n')}\n`;
  }
}
