/**
 * Polls `cond` (sync or async) until it yields a truthy value, which it returns; throws after `timeoutMs` with `what`
 * in the message. For tests and the bench: what crosses a real socket arrives when it arrives.
 */
export async function waitFor<T>(
  cond: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
