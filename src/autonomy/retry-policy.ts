/** At most this many attempts per tool invocation (SPEC §16.2). */
export const MAX_ATTEMPTS = 3;
export const BASE_DELAY_MS = 250;

/** Delay before retrying after failed attempt `attempt` (1-based): 250 ms × 2^(attempt−1). */
export function retryDelayMs(attempt: number, baseDelayMs: number = BASE_DELAY_MS): number {
  return baseDelayMs * 2 ** (attempt - 1);
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
