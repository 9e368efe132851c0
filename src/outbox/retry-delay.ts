/** The first retry waits about this long; each further one twice as long. */
export const FIRST_RETRY_MS = 10_000;
/** No retry waits longer than this. */
export const MAX_RETRY_MS = 60 * 60_000;

/**
 * How long to wait after the `attempts`-th failed attempt: exponential,
 * capped, with "equal jitter" (between half and all of the step, `random`
 * in [0, 1)), so that messages that failed together do not retry together.
 */
export function retryDelayMs(attempts: number, random = Math.random()): number {
  const step = Math.min(
    MAX_RETRY_MS,
    FIRST_RETRY_MS * 2 ** Math.min(Math.max(attempts - 1, 0), 30),
  );
  return Math.round(step / 2 + (random * step) / 2);
}
