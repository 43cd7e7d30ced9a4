import type { AgentConfig } from '../agent-config.ts';
import type { AudioFormat } from '../audio-format.ts';
import type { ToolSchema } from '../tool-registry.ts';

export interface SessionUpdateInput {
  config: AgentConfig;
  /** What the model hears (the caller's format when no transcoding is wanted) and what it speaks. */
  inputFormat: AudioFormat;
  outputFormat: AudioFormat;
  tools: ToolSchema[];
}

/** GA `audio.*.format`. The model takes mu-law and A-law at 8 kHz and PCM16 at 24 kHz only. */
export function gaFormat(format: AudioFormat): { type: string; rate?: number } {
  switch (format.codec) {
    case 'pcmu':
      return { type: 'audio/pcmu' };
    case 'pcma':
      return { type: 'audio/pcma' };
    case 'pcm16':
      return { type: 'audio/pcm', rate: 24000 };
  }
}

export function betaFormat(format: AudioFormat): 'g711_ulaw' | 'g711_alaw' | 'pcm16' {
  return format.codec === 'pcmu' ? 'g711_ulaw' : format.codec === 'pcma' ? 'g711_alaw' : 'pcm16';
}

function turnDetection(config: AgentConfig): Record<string, unknown> {
  const td = config.turnDetection;
  if (td.type === 'semantic_vad') return { type: 'semantic_vad', eagerness: td.eagerness, create_response: true, interrupt_response: true };
  return {
    type: 'server_vad',
    threshold: td.threshold,
    prefix_padding_ms: td.prefixPaddingMs,
    silence_duration_ms: td.silenceDurationMs,
    create_response: true,
    interrupt_response: true,
  };
}

export function gaSessionUpdate(input: SessionUpdateInput): Record<string, unknown> {
  const { config } = input;
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      model: config.model,
      output_modalities: ['audio'],
      instructions: config.instructions,
      audio: {
        input: {
          format: gaFormat(input.inputFormat),
          ...(config.transcriptionModel ? { transcription: { model: config.transcriptionModel } } : {}),
          turn_detection: turnDetection(config),
        },
        output: { format: gaFormat(input.outputFormat), voice: config.voice },
      },
      tools: input.tools,
      tool_choice: 'auto',
    },
  };
}

export function betaSessionUpdate(input: SessionUpdateInput): Record<string, unknown> {
  const { config } = input;
  return {
    type: 'session.update',
    session: {
      modalities: ['audio', 'text'],
      voice: config.voice,
      instructions: config.instructions,
      input_audio_format: betaFormat(input.inputFormat),
      output_audio_format: betaFormat(input.outputFormat),
      ...(config.transcriptionModel ? { input_audio_transcription: { model: config.transcriptionModel } } : {}),
      turn_detection: turnDetection(config),
      tools: input.tools,
      tool_choice: 'auto',
    },
  };
}

export function sessionUpdate(mode: 'ga' | 'beta', input: SessionUpdateInput): Record<string, unknown> {
  return mode === 'beta' ? betaSessionUpdate(input) : gaSessionUpdate(input);
}
