import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { Principal } from './access-token.claims.js';

const MAX_ENTRIES = 10_000;

/**
 * Remembers tokens whose signature and claims were already verified, so a
 * client sending the same token again skips the signature check. It never
 * skips the blocklist: revocation is checked on every request. Entries live
 * until the token's own expiry at most, and the cache is emptied whenever the
 * key set changes.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly entries = new LRUCache<string, Principal>({ max: MAX_ENTRIES });

  get(token: string): Principal | undefined {
    const principal = this.entries.get(token);
    if (principal && principal.expiresAt * 1000 <= Date.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return principal;
  }

  set(token: string, principal: Principal): void {
    const ttl = principal.expiresAt * 1000 - Date.now();
    if (ttl > 0) this.entries.set(token, principal, { ttl });
  }

  clear(): void {
    this.entries.clear();
  }
}
