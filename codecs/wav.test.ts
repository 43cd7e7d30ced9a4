import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AudioFormat, Codec, SampleRate } from '../core/audio-format.ts';
import { CodecError } from './errors.ts';
import { alawDecode, mulawDecode, mulawEncode } from './g711.ts';
import { readWav, wavHeader, wavSizeFields, writeWav } from './wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'voxbridge-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sox(args: string[]): Buffer {
  const r = spawnSync('sox', args, { maxBuffer: 1 << 24 });
  if (r.error) throw new Error(`sox is required for these tests (apt-get install sox): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sox ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

const asInt16LE = (b: Buffer) => Int16Array.from({ length: b.length >> 1 }, (_, i) => b.readInt16LE(2 * i));
const samples = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(30000 * Math.sin(i * 0.29)));
const FORMATS: AudioFormat[] = (['pcm16', 'pcmu', 'pcma'] as Codec[]).flatMap((codec) =>
  ([8000, 16000, 24000, 48000] as SampleRate[]).map((rate) => ({ codec, rate })),
);

function payload(format: AudioFormat, n: number): Int16Array | Uint8Array {
  return format.codec === 'pcm16' ? samples(n) : mulawEncode(samples(n));
}

function expectCodecError(code: string, fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code, (err as Error).message).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('writeWav / readWav', () => {
  it.each(FORMATS)('round-trips $codec at $rate Hz, odd lengths included', (format) => {
    for (const n of [0, 1, 161]) {
      const data = payload(format, n);
      const back = readWav(writeWav(format, data));
      expect(back.format).toEqual(format);
      expect(Array.from(back.data)).toEqual(Array.from(data));
      expect(back.data.constructor).toBe(data.constructor);
    }
  });

  it.each(FORMATS.filter((f) => f.rate === 8000 || f.codec === 'pcm16'))('sox reads our $codec $rate Hz files', (format) => {
    const data = payload(format, 801);
    const path = join(dir, `ours-${format.codec}-${format.rate}.wav`);
    writeFileSync(path, writeWav(format, data));
    expect(sox(['--i', '-r', path]).toString().trim()).toBe(String(format.rate));
    const decoded = asInt16LE(sox([path, '-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-']));
    const expected = data instanceof Int16Array ? data : format.codec === 'pcmu' ? mulawDecode(data) : alawDecode(data);
    expect(Array.from(decoded)).toEqual(Array.from(expected));
  });

  it.each([
    ['signed', '16', 16000, 'pcm16'],
    ['mu-law', '8', 8000, 'pcmu'],
    ['a-law', '8', 8000, 'pcma'],
  ] as const)('reads sox-written %s files', (encoding, bits, rate, codec) => {
    const path = join(dir, `sox-${encoding}.wav`);
    sox(['-D', '-n', '-r', String(rate), '-e', encoding, '-b', bits, '-c', '1', path, 'synth', '0.1', 'sine', '997', 'vol', '0.5']);
    const wav = readWav(new Uint8Array(readFileSync(path)));
    expect(wav.format).toEqual({ codec, rate });
    const linear = asInt16LE(sox([path, '-t', 'raw', '-e', 'signed', '-b', '16', '-L', '-']));
    const ours = wav.data instanceof Int16Array ? wav.data : codec === 'pcmu' ? mulawDecode(wav.data) : alawDecode(wav.data);
    expect(ours.length).toBe(rate / 10);
    expect(Array.from(ours)).toEqual(Array.from(linear));
  });

  it('rejects valid files of kinds it does not read', () => {
    const stereo = join(dir, 'stereo.wav');
    sox(['-n', '-r', '8000', '-c', '2', '-b', '16', stereo, 'synth', '0.01', 'sine', '440']);
    expectCodecError('wav_unsupported', () => readWav(readFileSync(stereo)));
    const cd = join(dir, 'cd.wav');
    sox(['-n', '-r', '44100', '-c', '1', '-b', '16', cd, 'synth', '0.01', 'sine', '440']);
    expectCodecError('wav_unsupported', () => readWav(readFileSync(cd)));
    const deep = join(dir, 'deep.wav');
    sox(['-n', '-r', '8000', '-c', '1', '-b', '24', deep, 'synth', '0.01', 'sine', '440']);
    expectCodecError('wav_unsupported', () => readWav(readFileSync(deep)));
    const float = join(dir, 'float.wav');
    sox(['-n', '-r', '8000', '-c', '1', '-e', 'floating-point', '-b', '32', float, 'synth', '0.01', 'sine', '440']);
    expectCodecError('wav_unsupported', () => readWav(readFileSync(float)));
  });
});

describe('readWav on malformed input', () => {
  const good = writeWav({ codec: 'pcm16', rate: 16000 }, samples(100));
  const patched = (at: number, bytes: number[] | string) => {
    const copy = good.slice();
    copy.set(typeof bytes === 'string' ? Array.from(bytes, (c) => c.charCodeAt(0)) : bytes, at);
    return copy;
  };
  const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

  it.each([
    ['empty', 'wav_truncated', new Uint8Array(0)],
    ['cut inside RIFF header', 'wav_truncated', good.subarray(0, 11)],
    ['not RIFF', 'wav_malformed', patched(0, 'JUNK')],
    ['big-endian RIFX', 'wav_unsupported', patched(0, 'RIFX')],
    ['not WAVE', 'wav_malformed', patched(8, 'AVI ')],
    ['fmt chunk too short', 'wav_malformed', patched(16, u32(12))],
    ['fmt chunk runs off the end', 'wav_truncated', good.subarray(0, 30)],
    ['no fmt before data', 'wav_malformed', patched(12, 'junk')],
    ['cut before data', 'wav_truncated', good.subarray(0, 40)],
    ['data cut short', 'wav_truncated', good.subarray(0, good.length - 2)],
    ['data size beyond the file', 'wav_truncated', patched(40, u32(1 << 30))],
    ['half a sample', 'wav_malformed', patched(40, u32(199))],
    ['block align wrong', 'wav_malformed', patched(32, [4, 0])],
    ['byte rate wrong', 'wav_malformed', patched(28, u32(16000))],
    ['format tag 3 (float)', 'wav_unsupported', patched(20, [3, 0])],
  ] as const)('%s → %s', (_name, code, bytes) => {
    expectCodecError(code, () => readWav(bytes));
  });

  it('skips unknown chunks (with their pad byte) and accepts a streaming data size', () => {
    const data = samples(10);
    const file = writeWav({ codec: 'pcm16', rate: 8000 }, data);
    const list = Uint8Array.from([...'LIST'].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 1, 2, 3, 0]));
    const withList = new Uint8Array(file.length + list.length);
    withList.set(file.subarray(0, 36));
    withList.set(list, 36);
    withList.set(file.subarray(36), 36 + list.length);
    expect(Array.from(readWav(withList).data)).toEqual(Array.from(data));
    const streaming = file.slice();
    new DataView(streaming.buffer).setUint32(40, 0xffffffff, true);
    expect(Array.from(readWav(streaming).data)).toEqual(Array.from(data));
  });

  it('never throws anything but CodecError, nor reads a wrong length, on any cut or corrupted header byte', () => {
    const file = writeWav({ codec: 'pcmu', rate: 8000 }, mulawEncode(samples(33)));
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 8;
    };
    const inputs: Uint8Array[] = [];
    for (let n = 0; n < file.length; n++) inputs.push(file.subarray(0, n));
    for (let i = 0; i < 3000; i++) {
      const copy = file.slice();
      copy[random() % 58] = random() & 0xff;
      inputs.push(copy);
    }
    for (const bytes of inputs) {
      try {
        const wav = readWav(bytes);
        // Whatever a corrupted header claims, the data read must lie inside the file.
        expect(wav.data.byteLength).toBeLessThanOrEqual(bytes.length - 44);
      } catch (err) {
        expect(err, String(err)).toBeInstanceOf(CodecError);
      }
    }
  });

  it('has its size fields where wavSizeFields says', () => {
    for (const format of [FORMATS[0]!, FORMATS[4]!]) {
      const header = wavHeader(format, 1234);
      const v = new DataView(header.buffer);
      const at = wavSizeFields(format);
      expect(v.getUint32(at.data, true)).toBe(1234);
      expect(v.getUint32(at.riff, true)).toBe(header.length - 8 + 1234);
      if (at.fact !== undefined) expect(v.getUint32(at.fact, true)).toBe(1234);
      expect(header.length).toBe(at.data + 4);
    }
  });
});
