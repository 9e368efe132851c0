import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Clock, CLOCK_SKEW_SECONDS } from '../common/clock.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { RefreshSessionsRepository } from './refresh-sessions.repository.js';
import { RevokedAccessTokensRepository } from './revoked-access-tokens.repository.js';
import { SigningKeysRepository } from './signing-keys.repository.js';
import { TokenCutoffsRepository } from './token-cutoffs.repository.js';

const EVERY_HOUR_MS = 3_600_000;
/** Rows are kept a day past the end of their session, for investigations; then dropped. */
const KEEP_AFTER_EXPIRY_MS = 86_400_000;

/**
 * Every rotation adds a row; this removes rows whose session ended more than
 * a day ago (spent rows of a live session are kept: they are what reveals
 * reuse), cutoffs older than any token they could void, revoked token ids
 * whose token has expired, and retired signing keys that can no longer
 * verify anything.
 */
@Injectable()
export class TokenHousekeepingService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TokenHousekeepingService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectConfig() private readonly config: Config,
    private readonly clock: Clock,
    private readonly sessions: RefreshSessionsRepository,
    private readonly cutoffs: TokenCutoffsRepository,
    private readonly revokedTokens: RevokedAccessTokensRepository,
    private readonly keys: SigningKeysRepository,
  ) {}

  onModuleInit(): void {
    if (!this.config.backgroundJobs) return;
    this.timer = setInterval(() => void this.purge().catch(() => undefined), EVERY_HOUR_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async purge(): Promise<void> {
    const now = this.clock.now();
    const before = new Date(now - KEEP_AFTER_EXPIRY_MS);
    const [sessions, cutoffs, tokens, keys] = await Promise.all([
      this.sessions.deleteExpiredBefore(before),
      this.cutoffs.deleteOlderThan(before),
      // Past the token's expiry on every clock within the skew, the row covers nothing.
      this.revokedTokens.deleteExpiredBefore(new Date(now - CLOCK_SKEW_SECONDS * 1000)),
      // Retired keys past the life of every token they signed (already out of the JWKS).
      this.keys.deleteExpired(),
    ]);
    if (keys > 0) this.logger.log(`deleted ${keys} expired signing keys`);
    if (sessions + cutoffs + tokens > 0) {
      this.logger.log(
        `purged ${sessions} expired refresh tokens, ${cutoffs} old cutoffs, ${tokens} expired token revocations`,
      );
    }
  }
}
