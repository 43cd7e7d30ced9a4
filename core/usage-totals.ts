import type { Usage } from './realtime/server-events.ts';

/** Usage from `response.done`, summed over the call (across model connections). */
export class UsageTotals {
  responses = 0;
  inputTokens = 0;
  outputTokens = 0;
  inputAudioTokens = 0;
  inputTextTokens = 0;
  /** Input tokens served from the model's prompt cache (billed lower); `uncachedInputTokens` is the rest. */
  cachedTokens = 0;
  outputAudioTokens = 0;
  outputTextTokens = 0;

  add(u: Usage): void {
    this.responses++;
    this.inputTokens += u.input_tokens ?? 0;
    this.outputTokens += u.output_tokens ?? 0;
    this.inputAudioTokens += u.input_token_details?.audio_tokens ?? 0;
    this.inputTextTokens += u.input_token_details?.text_tokens ?? 0;
    this.cachedTokens += u.input_token_details?.cached_tokens ?? 0;
    this.outputAudioTokens += u.output_token_details?.audio_tokens ?? 0;
    this.outputTextTokens += u.output_token_details?.text_tokens ?? 0;
  }

  get uncachedInputTokens(): number {
    return this.inputTokens - this.cachedTokens;
  }

  toJSON(): Record<string, number> {
    return {
      responses: this.responses,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      inputAudioTokens: this.inputAudioTokens,
      inputTextTokens: this.inputTextTokens,
      cachedTokens: this.cachedTokens,
      uncachedInputTokens: this.uncachedInputTokens,
      outputAudioTokens: this.outputAudioTokens,
      outputTextTokens: this.outputTextTokens,
    };
  }
}
