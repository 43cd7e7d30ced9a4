/**
 * The errors `codecs/` raises on purpose, made here (postgres.js `errors.js` style). `codecs/` cannot import core, so
 * this mirrors core's `VoxError` shape: a stable machine-read `code` and whether retrying may help.
 */
export type CodecErrorCode =
  | 'wav_malformed'
  | 'wav_truncated'
  | 'wav_unsupported'
  | 'codec_unsupported'
  | 'pcm_odd_length'
  | 'pool_closed';

export class CodecError extends Error {
  constructor(
    readonly code: CodecErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}
