import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { KeyValueStore } from '../redis/key-value-store.js';
import { InjectKeyValueStore } from '../redis/redis.module.js';
import { RefreshSessionsRepository } from './refresh-sessions.repository.js';
import { TokenCutoffsRepository } from './token-cutoffs.repository.js';

const CLOCK_SKEW_MS = 60_000;

export interface BlocklistSubject {
  tokenId: string;
  sessionId: string | null;
  /** The `sub` claim: a user id or a client subject. */
  subject: string;
  /** When the token was issued, in milliseconds (from its UUIDv7 jti). */
  issuedAtMs: number;
}

/**
 * Revoked access-token ids, revoked sessions and per-user "not before"
 * cutoffs. Each entry lives only as long as a token it covers could. One
 * MGET answers a request; a missing marker key means the store lost its data
 * (flush, new Redis), and the entries are rebuilt from the database before
 * anything is answered.
 */
@Injectable()
export class BlocklistService implements OnModuleInit {
  private readonly logger = new Logger(BlocklistService.name);
  private readonly prefix: string;
  private rebuilding: Promise<void> | null = null;

  constructor(
    @InjectKeyValueStore() private readonly kv: KeyValueStore,
    @InjectConfig() private readonly config: Config,
    private readonly sessions: RefreshSessionsRepository,
    private readonly cutoffs: TokenCutoffsRepository,
  ) {
    this.prefix = `${config.redis.keyPrefix}bl:`;
  }

  async onModuleInit(): Promise<void> {
    // In Redis mode the store may not be reachable yet; the first check rebuilds then.
    await this.rebuildIfMissing().catch(() => undefined);
  }

  /** Longest time a token issued now can stay valid. */
  private get coverMs(): number {
    return this.config.auth.accessTokenTtl * 1000 + CLOCK_SKEW_MS;
  }

  async revokeToken(tokenId: string, expiresAtSeconds: number): Promise<void> {
    const ttl = expiresAtSeconds * 1000 - Date.now() + CLOCK_SKEW_MS;
    if (ttl > 0) await this.kv.run((store) => store.set(this.key('jti', tokenId), 1, ttl));
  }

  async revokeSessions(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const entries = sessionIds.map((id): [string, unknown] => [this.key('sid', id), 1]);
    await this.kv.run((store) => store.mset(entries, this.coverMs));
  }

  /** Tokens of `subject` issued before `cutoff` are void; later ones are not. */
  async voidTokensBefore(subject: string, cutoff: Date): Promise<void> {
    const remaining = cutoff.getTime() + this.coverMs - Date.now();
    if (remaining > 0) {
      await this.kv.run((store) =>
        store.set(this.key('nbf', subject), cutoff.getTime(), remaining),
      );
    }
  }

  /** One round trip. Throws `StoreUnavailableError` when the store cannot answer: callers fail closed. */
  async isRevoked(token: BlocklistSubject): Promise<boolean> {
    const keys = [
      this.key('jti', token.tokenId),
      token.sessionId ? this.key('sid', token.sessionId) : this.key('sid', '-'),
      this.key('nbf', token.subject),
      this.markerKey,
    ];
    let values = await this.kv.run((store) => store.mget(...keys));
    if (values[3] === undefined) {
      // The marker is gone: the store lost its data. Rebuild before answering.
      await this.rebuildIfMissing();
      values = await this.kv.run((store) => store.mget(...keys));
    }
    const [jti, sid, notBefore] = values;
    return (
      jti !== undefined ||
      sid !== undefined ||
      (typeof notBefore === 'number' && token.issuedAtMs < notBefore)
    );
  }

  private get markerKey(): string {
    return `${this.prefix}ready`;
  }

  private key(kind: 'jti' | 'sid' | 'nbf', id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }

  /** Single-flight: concurrent requests that find the marker missing share one rebuild. */
  private rebuildIfMissing(): Promise<void> {
    this.rebuilding ??= this.rebuild().finally(() => {
      this.rebuilding = null;
    });
    return this.rebuilding;
  }

  private async rebuild(): Promise<void> {
    const [marker] = await this.kv.run((store) => store.mget(this.markerKey));
    if (marker !== undefined) return;
    const since = new Date(Date.now() - this.coverMs);
    const [families, cutoffs] = await Promise.all([
      this.sessions.findFamiliesRevokedSince(since),
      this.cutoffs.findSince(since),
    ]);
    await this.revokeSessions(families);
    for (const cutoff of cutoffs) await this.voidTokensBefore(cutoff.userId, cutoff.notBefore);
    await this.kv.run((store) => store.set(this.markerKey, 1));
    this.logger.log(
      `blocklist rebuilt from the database: ${families.length} sessions, ${cutoffs.length} users`,
    );
  }
}
