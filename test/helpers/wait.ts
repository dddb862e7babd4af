/**
 * Waiting for a state instead of sleeping for a time (STANDARDS: no timed assertions). The deadline only guards against
 * a hang: a test that reaches it fails, saying what it waited for.
 */

/** A probe's answer: anything but null, undefined or false ends the wait and is returned. */
type Probe<T> = () => T | null | undefined | false | Promise<T | null | undefined | false>;

/** Polls `probe` every `stepMs` until it answers; rejects after `timeoutMs` naming the probe. */
export async function waitFor<T>(probe: Probe<T>, timeoutMs = 15_000, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) {
      const source = probe.toString().replace(/\s+/g, " ");
      throw new Error(`condition not met within ${timeoutMs} ms: ${source.length > 200 ? `${source.slice(0, 200)}…` : source}`);
    }
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
