import { base64ToBytes } from '../codecs/pcm.ts';
import { createTranscoder } from '../codecs/transcode.ts';
import { type AudioChunk, type AudioFormat, sameFormat } from './audio-format.ts';

/**
 * One direction of a session's audio: from the format one leg speaks to the format the other takes. When the two are
 * equal this is no stage at all, the sink itself (Twilio mu-law to a mu-law model: pure relay). Otherwise a
 * transcoder from `codecs/` runs inline: G.711 and resampling cost microseconds per frame, less than a thread hop
 * (DESIGN.md, "The pipeline").
 *
 * The output chunk's `data` is the transcoder's own buffer, valid for the duration of the sink call: legs encode or
 * copy it at once.
 */
export interface AudioPath {
  push(chunk: AudioChunk): void;
  /** The stream of `itemId` ended: release what resampling holds back. */
  end(itemId?: string): void;
}

export function audioPath(from: AudioFormat, to: AudioFormat, sink: (chunk: AudioChunk) => void): AudioPath {
  if (sameFormat(from, to)) return { push: sink, end() {} };
  const transcoder = createTranscoder(from, to);
  let item: string | undefined;
  let lastAt = 0;
  const flush = () => {
    const tail = transcoder.flush();
    if (tail.length > 0) sink({ format: to, data: tail, at: lastAt, itemId: item });
  };
  return {
    push(chunk) {
      // A new item is a new stream: the previous one's tail goes out first, and no state leaks across.
      if (chunk.itemId !== item) {
        if (item !== undefined) flush();
        item = chunk.itemId;
      }
      lastAt = chunk.at;
      const data = chunk.data ?? base64ToBytes(chunk.wire ?? '');
      const out = transcoder.process(data);
      if (out.length > 0) sink({ format: to, data: out, at: chunk.at, itemId: chunk.itemId });
    },
    end(itemId) {
      if (itemId === undefined || itemId === item) flush();
    },
  };
}
