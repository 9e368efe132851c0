import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Clock } from '../common/clock.js';
import type { Principal } from '../common/principal.js';

const MAX_ENTRIES = 10_000;

/**
 * Remembers tokens whose signature and claims were already verified, so a
 * client sending the same token again skips the signature check. It never
 * skips the blocklist: revocation is checked on every request. A token is
 * served from here only before its `exp` by the app's clock (the same rule
 * as `principalFromClaims`, no grace), and the cache is emptied
 * whenever the key set changes.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly entries = new LRUCache<string, Principal>({ max: MAX_ENTRIES });

  constructor(private readonly clock: Clock) {}

  get(token: string): Principal | undefined {
    const principal = this.entries.get(token);
    if (principal && this.clock.now() >= principal.expiresAt * 1000) {
      this.entries.delete(token);
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal): void {
    const ttl = principal.expiresAt * 1000 - this.clock.now();
    if (ttl > 0) this.entries.set(token, principal, { ttl });
  }

  clear(): void {
    this.entries.clear();
  }
}
