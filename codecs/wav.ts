/**
 * WAV (RIFF WAVE) files of mono PCM16, mu-law or A-law at the rates voxbridge speaks: reading fixtures and
 * recordings, writing recordings.
 *
 * Reading walks the RIFF chunk list (Microsoft "Multimedia Programming Interface and Data Specifications 1.0", 1991;
 * WAVE_FORMAT_EXTENSIBLE per the 2001 "Multiple channel audio data and WAVE files" note) and checks every field it
 * relies on. Anything it cannot read exactly raises a `CodecError`: `wav_truncated` when the file ends before its
 * header or data says it should, `wav_malformed` when fields contradict each other, `wav_unsupported` for valid
 * files of another kind (stereo, 24-bit, float, 44.1 kHz). It never guesses, and never reads past the buffer.
 */
import type { AudioFormat, Codec, SampleRate } from '../core/audio-format.ts';
import { CodecError } from './errors.ts';
import { int16FromBytesLE, int16ToBytesLE } from './pcm.ts';

export interface WavAudio {
  readonly format: AudioFormat;
  /** Int16Array for pcm16, Uint8Array of codes for pcmu/pcma. May share memory with the file's bytes. */
  readonly data: Int16Array | Uint8Array;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Streaming writers that cannot seek back put this in the data size: "to the end of the file". */
const SIZE_UNKNOWN = 0xffffffff;

const RATES: readonly number[] = [8000, 16000, 24000, 48000];
const TAGS: Record<Codec, number> = { pcm16: WAVE_FORMAT_PCM, pcma: WAVE_FORMAT_ALAW, pcmu: WAVE_FORMAT_MULAW };
const CODECS: Record<number, Codec> = { [WAVE_FORMAT_PCM]: 'pcm16', [WAVE_FORMAT_ALAW]: 'pcma', [WAVE_FORMAT_MULAW]: 'pcmu' };

const fourcc = (v: DataView, at: number) =>
  String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));

export function readWav(file: Uint8Array): WavAudio {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const size = file.byteLength;
  if (size < 12) throw new CodecError('wav_truncated', `file is ${size} bytes; a WAV file starts with 12`);
  const riff = fourcc(v, 0);
  if (riff === 'RIFX' || riff === 'RF64') throw new CodecError('wav_unsupported', `${riff} files are not supported`);
  if (riff !== 'RIFF') throw new CodecError('wav_malformed', 'not a RIFF file');
  if (fourcc(v, 8) !== 'WAVE') throw new CodecError('wav_malformed', `RIFF form is ${JSON.stringify(fourcc(v, 8))}, not WAVE`);

  let format: AudioFormat | undefined;
  let blockAlign = 0;
  let pos = 12;
  for (;;) {
    if (pos + 8 > size) {
      throw new CodecError('wav_truncated', format ? 'file ends before the data chunk' : 'file ends before the fmt chunk');
    }
    const id = fourcc(v, pos);
    const chunkSize = v.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (format) throw new CodecError('wav_malformed', 'two fmt chunks');
      if (chunkSize < 16) throw new CodecError('wav_malformed', `fmt chunk is ${chunkSize} bytes, at least 16 expected`);
      if (body + chunkSize > size) throw new CodecError('wav_truncated', 'file ends inside the fmt chunk');
      ({ format, blockAlign } = readFmt(v, body, chunkSize));
    } else if (id === 'data') {
      if (!format) throw new CodecError('wav_malformed', 'data chunk before the fmt chunk');
      const available = size - body;
      const length = chunkSize === SIZE_UNKNOWN ? available - (available % blockAlign) : chunkSize;
      if (length > available) {
        throw new CodecError('wav_truncated', `data chunk says ${length} bytes, the file holds ${available}`);
      }
      if (length % blockAlign !== 0) {
        throw new CodecError('wav_malformed', `data chunk of ${length} bytes is not whole ${blockAlign}-byte samples`);
      }
      const bytes = file.subarray(body, body + length);
      return { format, data: format.codec === 'pcm16' ? int16FromBytesLE(bytes) : bytes };
    }
    // Chunks are padded to an even length (the pad byte is not counted in the size).
    pos = body + chunkSize + (chunkSize & 1);
  }
}

function readFmt(v: DataView, at: number, size: number): { format: AudioFormat; blockAlign: number } {
  let tag = v.getUint16(at, true);
  const channels = v.getUint16(at + 2, true);
  const rate = v.getUint32(at + 4, true);
  const byteRate = v.getUint32(at + 8, true);
  const blockAlign = v.getUint16(at + 12, true);
  const bits = v.getUint16(at + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // cbSize (2), valid bits (2), channel mask (4), then the sub-format GUID whose first two bytes are the tag.
    if (size < 40) throw new CodecError('wav_malformed', `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, not 40`);
    tag = v.getUint16(at + 24, true);
  }
  const codec = CODECS[tag];
  if (codec === undefined) throw new CodecError('wav_unsupported', `format tag 0x${tag.toString(16)} is not PCM, mu-law or A-law`);
  if (channels !== 1) throw new CodecError('wav_unsupported', `${channels} channels; only mono is supported`);
  if (!RATES.includes(rate)) throw new CodecError('wav_unsupported', `sample rate ${rate}; supported: ${RATES.join(', ')}`);
  const expectedBits = codec === 'pcm16' ? 16 : 8;
  if (bits !== expectedBits) {
    throw new CodecError('wav_unsupported', `${bits}-bit ${codec}; only ${expectedBits}-bit is supported`);
  }
  if (blockAlign !== bits / 8) throw new CodecError('wav_malformed', `block align ${blockAlign} for mono ${bits}-bit`);
  if (byteRate !== rate * blockAlign) throw new CodecError('wav_malformed', `byte rate ${byteRate} for ${rate} Hz`);
  return { format: { codec, rate: rate as SampleRate }, blockAlign };
}

/**
 * The header for `dataBytes` bytes of audio; audio bytes follow it directly. G.711 files carry the 18-byte fmt
 * chunk and the `fact` chunk that the spec asks of non-PCM formats (sox and ffmpeg write the same). A recorder that
 * does not know the length up front writes this with 0 and patches both sizes on close (see `wavSizeFields`).
 */
export function wavHeader(format: AudioFormat, dataBytes: number): Uint8Array {
  const pcm = format.codec === 'pcm16';
  const fmtSize = pcm ? 16 : 18;
  const headerSize = 12 + 8 + fmtSize + (pcm ? 0 : 12) + 8;
  const header = new Uint8Array(headerSize);
  const v = new DataView(header.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  const bytesPerSample = pcm ? 2 : 1;
  ascii(0, 'RIFF');
  v.setUint32(4, headerSize - 8 + dataBytes + (dataBytes & 1), true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, fmtSize, true);
  v.setUint16(20, TAGS[format.codec], true);
  v.setUint16(22, 1, true);
  v.setUint32(24, format.rate, true);
  v.setUint32(28, format.rate * bytesPerSample, true);
  v.setUint16(32, bytesPerSample, true);
  v.setUint16(34, bytesPerSample * 8, true);
  let at = 36;
  if (!pcm) {
    v.setUint16(at, 0, true); // cbSize
    ascii(at + 2, 'fact');
    v.setUint32(at + 6, 4, true);
    v.setUint32(at + 10, dataBytes, true); // samples, one byte each
    at += 14;
  }
  ascii(at, 'data');
  v.setUint32(at + 4, dataBytes, true);
  return header;
}

/** A whole WAV file. Samples are written little-endian whatever the host; odd-length data gets its pad byte. */
export function writeWav(format: AudioFormat, data: Int16Array | Uint8Array): Uint8Array {
  if (format.codec === 'pcm16' && !(data instanceof Int16Array)) {
    throw new CodecError('codec_unsupported', 'pcm16 WAV data must be an Int16Array');
  }
  if (format.codec !== 'pcm16' && !(data instanceof Uint8Array)) {
    throw new CodecError('codec_unsupported', `${format.codec} WAV data must be a Uint8Array of codes`);
  }
  const bytes = data instanceof Int16Array ? int16ToBytesLE(data) : data;
  const header = wavHeader(format, bytes.byteLength);
  const file = new Uint8Array(header.length + bytes.byteLength + (bytes.byteLength & 1));
  file.set(header, 0);
  file.set(bytes, header.length);
  return file;
}

/** Byte offsets of the RIFF and data size fields in a `wavHeader(format, …)`, for patching after streaming. */
export function wavSizeFields(format: AudioFormat): { riff: number; data: number; fact?: number } {
  return format.codec === 'pcm16' ? { riff: 4, data: 40 } : { riff: 4, data: 54, fact: 46 };
}
