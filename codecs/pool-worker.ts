/**
 * The pool's worker: runs one packed batch (see pool-batch.ts) and returns the packed results, moved back.
 *
 * Transcoders are cached per (from, to, quality); each stream's state arrives with its frames and leaves with the
 * results, so any thread can serve any stream and the main thread's copy of the state stays the source of truth.
 */
import { Piscina } from 'piscina';
import { kindOf, ResultWriter, unpackRequest } from './pool-batch.ts';
import { createTranscoder, type Transcoder } from './transcode.ts';

const transcoders = new Map<number, Transcoder>();

function transcoderFor(key: number): Transcoder {
  let t = transcoders.get(key);
  if (t === undefined) {
    const kind = kindOf(key);
    t = createTranscoder(kind.from, kind.to, { quality: kind.quality });
    transcoders.set(key, t);
  }
  return t;
}

export default function runBatch(request: Uint8Array): unknown {
  const { numbers, streams } = unpackRequest(request);
  let headerInts = 1;
  let maxBody = 0;
  for (const s of streams) {
    const { from, to } = kindOf(s.key);
    headerInts += 2 + 2 * s.frames.length;
    // Sized tight: the whole buffer is transferred, unused tail included. Each frame's output is at most
    // ceil(n · to / from) + 1 samples.
    maxBody += 8 * transcoderFor(s.key).maxStateLength;
    const bytesPerSample = to.codec === 'pcm16' ? 2 : 1;
    for (const f of s.frames) maxBody += (Math.ceil((f.length * to.rate) / from.rate) + 2) * bytesPerSample + 8;
  }
  const out = new ResultWriter(headerInts, maxBody);
  out.int(streams.length);
  for (const s of streams) {
    const t = transcoderFor(s.key);
    t.importState(numbers, s.stateAt, s.stateLength);
    // Each output is copied into the result before the next frame reuses the transcoder's buffer.
    for (const f of s.frames) out.audio(t.process(f));
    out.state(t);
  }
  return Piscina.move(out.finish());
}
