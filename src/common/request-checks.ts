const CHECKS = new WeakMap<object, RequestChecks>();

/**
 * The global guards' shared work on one request, so that a protected request
 * waits for one Redis round trip, not two: the rate-limit guard starts its
 * count and `defer`s it here; the JWT guard `settle`s it together with the
 * token check, whose blocklist lookup is then in flight at the same time.
 * Both sides name this object; nothing else passes between them.
 */
export class RequestChecks {
  private readonly deferred: Promise<void>[] = [];
  private settled = false;

  /** The checks of `request` (one object per request, created on first use). */
  static of(request: object): RequestChecks {
    let checks = CHECKS.get(request);
    if (!checks) {
      checks = new RequestChecks();
      CHECKS.set(request, checks);
    }
    return checks;
  }

  /**
   * Leaves `check` for `settle` to wait for, and returns at once. After
   * `settle` has run (guards in another order), waits for `check` here
   * instead: a count is never dropped, only no longer overlapped.
   */
  async defer(check: Promise<void>): Promise<void> {
    if (this.settled) return check;
    // Observed by settle(); this only keeps an early failure from being reported as unhandled.
    check.catch(() => undefined);
    this.deferred.push(check);
  }

  /** The result of `own`, once every deferred check has passed; a deferred failure (a 429) wins. */
  async settle<T>(own: Promise<T>): Promise<T> {
    this.settled = true;
    if (this.deferred.length === 0) return own;
    const [deferred, result] = await Promise.allSettled([Promise.all(this.deferred), own]);
    if (deferred.status === 'rejected') throw deferred.reason;
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }
}
