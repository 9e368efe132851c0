import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Store } from 'cache-manager';
import { Clock, CLOCK_SKEW_SECONDS } from '../common/clock.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { StoreFullError } from '../redis/expiring-memory-store.js';
import { KeyValueStore, StoreUnavailableError } from '../redis/key-value-store.js';
import { InjectKeyValueStore } from '../redis/redis.module.js';
import type { Principal } from '../common/principal.js';
import { RefreshSessionsRepository } from './refresh-sessions.repository.js';
import { RevokedAccessTokensRepository } from './revoked-access-tokens.repository.js';
import { TokenCutoffsRepository } from './token-cutoffs.repository.js';
import { tokenIdTime } from './token-id.js';
import { MetricsService } from '../metrics/metrics.service.js';

const CLOCK_SKEW_MS = CLOCK_SKEW_SECONDS * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Revoked token ids written to the store at once while rebuilding. */
const REBUILD_BATCH = 1_000;

/** What the blocklist asks about a token: its id, its session and its subject (a user id or a client). */
export type RevocationSubject = Pick<Principal, 'tokenId' | 'sessionId' | 'subject'>;

/**
 * Revoked access-token ids, revoked sessions and per-user "not before"
 * cutoffs. Each entry lives only as long as a token it covers could. One
 * MGET answers a request; a missing marker key means the store lost its data
 * (flush, new Redis, restart in embedded mode), and the entries are rebuilt
 * from the database before anything is answered.
 *
 * Every entry is a database row first (see `TokenRevocationService`). A full
 * in-process store refuses new entries rather than forget old ones; until a
 * refused entry would have expired, checks also ask the database.
 */
@Injectable()
export class BlocklistService implements OnModuleInit {
  private readonly logger = new Logger(BlocklistService.name);
  private readonly prefix: string;
  private rebuilding: Promise<void> | null = null;
  /** Until this time (ms) the store may lack entries it refused: checks also read the database. */
  private incompleteUntil = 0;

  constructor(
    @InjectKeyValueStore() private readonly kv: KeyValueStore,
    @InjectConfig() private readonly config: Config,
    private readonly clock: Clock,
    private readonly sessions: RefreshSessionsRepository,
    private readonly cutoffs: TokenCutoffsRepository,
    private readonly revokedTokens: RevokedAccessTokensRepository,
    private readonly metrics: MetricsService,
  ) {
    this.prefix = `${config.redis.keyPrefix}bl:`;
  }

  async onModuleInit(): Promise<void> {
    // In Redis mode the store may not be reachable yet; the first check rebuilds then.
    await this.rebuildIfMissing().catch(() => undefined);
  }

  /** Longest time a token issued now can stay valid, for any clock within the skew. */
  private get coverMs(): number {
    return this.config.auth.accessTokenTtl * 1000 + CLOCK_SKEW_MS;
  }

  private get incomplete(): boolean {
    return this.clock.now() < this.incompleteUntil;
  }

  async revokeToken(tokenId: string, expiresAtSeconds: number): Promise<void> {
    const ttl = expiresAtSeconds * 1000 - this.clock.now() + CLOCK_SKEW_MS;
    if (ttl > 0) await this.write(ttl, (store) => store.set(this.key('jti', tokenId), 1, ttl));
  }

  async revokeSessions(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const entries = sessionIds.map((id): [string, unknown] => [this.key('sid', id), 1]);
    await this.write(this.coverMs, (store) => store.mset(entries, this.coverMs));
  }

  /** Tokens of `subject` issued before `cutoff` are void; later ones are not. */
  async voidTokensBefore(subject: string, cutoff: Date): Promise<void> {
    const remaining = cutoff.getTime() + this.coverMs - this.clock.now();
    if (remaining > 0) {
      await this.write(remaining, (store) =>
        store.set(this.key('nbf', subject), cutoff.getTime(), remaining),
      );
    }
  }

  /**
   * Whether the token was revoked: by its id, by its session, or by a cutoff
   * for its subject issued after it (the time in its UUIDv7 id). One round
   * trip. Throws `StoreUnavailableError` when the store cannot answer:
   * callers fail closed.
   */
  async isRevoked(token: RevocationSubject): Promise<boolean> {
    const done = this.metrics.blocklistCheckDuration.startTimer();
    try {
      return await this.check(token);
    } finally {
      done();
    }
  }

  private async check(token: RevocationSubject): Promise<boolean> {
    const keys = [
      this.key('jti', token.tokenId),
      token.sessionId ? this.key('sid', token.sessionId) : this.key('sid', '-'),
      this.key('nbf', token.subject),
      this.markerKey,
    ];
    let values = await this.kv.run((store) => store.mget(...keys));
    if (values[3] === undefined && !this.incomplete) {
      // The marker is gone: the store lost its data. Rebuild before answering.
      await this.rebuildIfMissing();
      values = await this.kv.run((store) => store.mget(...keys));
    }
    const [jti, sid, notBefore] = values;
    if (
      jti !== undefined ||
      sid !== undefined ||
      (typeof notBefore === 'number' && tokenIdTime(token.tokenId) < notBefore)
    ) {
      return true;
    }
    return this.incomplete ? this.isRevokedInDatabase(token) : false;
  }

  /** The same three questions, asked of the database while the store is incomplete. */
  private async isRevokedInDatabase(token: RevocationSubject): Promise<boolean> {
    try {
      const [jti, sid, notBefore] = await Promise.all([
        this.revokedTokens.isRevoked(token.tokenId),
        token.sessionId ? this.sessions.isSessionRevoked(token.sessionId) : false,
        UUID.test(token.subject) ? this.cutoffs.findNotBefore(token.subject) : null,
      ]);
      return jti || sid || (notBefore !== null && tokenIdTime(token.tokenId) < notBefore.getTime());
    } catch (error) {
      // Fail closed, as when Redis cannot answer.
      throw new StoreUnavailableError(`database: ${(error as Error).message}`);
    }
  }

  /** Writes an entry; one the full in-process store refuses is read from the database instead. */
  private async write(ttlMs: number, operation: (store: Store) => Promise<void>): Promise<void> {
    try {
      await this.kv.run(operation);
    } catch (error) {
      if (!(error instanceof StoreFullError)) throw error;
      if (!this.incomplete) {
        this.logger.warn(`${error.message}: revocation checks also read the database`);
      }
      this.incompleteUntil = Math.max(this.incompleteUntil, this.clock.now() + ttlMs);
    }
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
    const now = this.clock.now();
    const [sessions, cutoffs, tokens] = await Promise.all([
      this.sessions.findSessionsRevokedSince(new Date(now - this.coverMs)),
      this.cutoffs.findSince(new Date(now - this.coverMs)),
      this.revokedTokens.findExpiringAfter(new Date(now - CLOCK_SKEW_MS)),
    ]);
    await this.revokeSessions(sessions);
    for (const cutoff of cutoffs) await this.voidTokensBefore(cutoff.userId, cutoff.notBefore);
    for (let start = 0; start < tokens.length; start += REBUILD_BATCH) {
      const batch = tokens.slice(start, start + REBUILD_BATCH);
      await Promise.all(
        batch.map((row) => this.revokeToken(row.jti, row.expiresAt.getTime() / 1000)),
      );
    }
    await this.write(this.coverMs, (store) => store.set(this.markerKey, 1));
    this.logger.log(
      `blocklist rebuilt from the database: ${sessions.length} sessions, ${cutoffs.length} users, ${tokens.length} tokens`,
    );
  }
}
