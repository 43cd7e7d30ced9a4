import type { AudioChunk, AudioFormat } from './audio-format.ts';
import type { HeardPosition } from './playback-tracker.ts';
import type { SessionKind } from './session-events.ts';
import type { TypedEmitter } from './typed-emitter.ts';

/** What the caller's side knows about the call once it starts. */
export interface CallInfo {
  callSid?: string;
  streamSid?: string;
  from?: string;
  to?: string;
  customParameters: Record<string, string>;
}

export interface CallerLegEvents {
  [event: string]: unknown[];
  /** The call is identified and audio may flow (Twilio `start`; a browser's hello). */
  start: [info: CallInfo];
  dtmf: [digit: string];
  /** The caller hung up (Twilio `stop`) or the socket closed; the session ends. */
  closed: [reason: string];
}

export interface CallerLegCounters {
  framesIn: number;
  framesOut: number;
  /** Audio dropped: stale after an interruption, or past a bound. */
  dropped: number;
  /** Messages that did not fit the protocol. */
  invalid: number;
}

/**
 * The caller's side of a session (Twilio or browser). Its readable side is `onAudio` (what the caller says), its
 * writable side `sendAudio` (what the caller should hear, tagged with the model item it belongs to).
 */
export interface CallerLeg {
  readonly kind: SessionKind;
  readonly format: AudioFormat;
  readonly events: TypedEmitter<CallerLegEvents>;
  readonly counters: CallerLegCounters;
  onAudio: (chunk: AudioChunk) => void;
  sendAudio(chunk: AudioChunk): void;
  /** The model finished this item's audio: send what is held back for framing. */
  audioDone(itemId: string): void;
  /**
   * Barge-in: stop playback now, drop what is queued, and say how much of which item was heard. The item that was
   * playing is discarded: its audio still arriving from the model is dropped by `sendAudio`.
   */
  interrupt(now: number): HeardPosition | undefined;
  /** Drops all audio of `itemId` from now on (an item the model was still producing when the caller interrupted). */
  discard(itemId: string): void;
  isDiscarded(itemId: string): boolean;
  /** Resolves when all audio sent so far has played. */
  playbackDone(): Promise<void>;
  close(reason: string): void;
}
