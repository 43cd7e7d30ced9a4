/**
 * The assistant's words up to the truncation point. The model's transcript is not time-aligned, so the cut is made
 * in proportion to the audio heard, on a word boundary, which is what the caller can claim to have heard.
 */
export function cutTranscript(text: string, heardMs: number, totalMs: number): string {
  if (totalMs <= 0 || heardMs >= totalMs) return text;
  const words = text.split(/\s+/).filter(Boolean);
  const keep = Math.floor((Math.max(0, heardMs) / totalMs) * words.length);
  return words.slice(0, keep).join(' ');
}
