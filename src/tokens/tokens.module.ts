import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { AccessTokensService } from './access-tokens.service.js';
import { RefreshSession } from './entities/refresh-session.entity.js';
import { RevokedAccessToken } from './entities/revoked-access-token.entity.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { TokenCutoff } from './entities/token-cutoff.entity.js';
import { BlocklistService } from './blocklist.service.js';
import { CsrfTokensService } from './csrf-tokens.service.js';
import { DeviceTokensService } from './device-tokens.service.js';
import {
  KEY_ENCRYPTION_SECRET,
  keyEncryptionSecretProvider,
} from '../config/key-encryption-secret.js';
import { IdTokensService } from './id-tokens.service.js';
import { TokenCutoffsRepository } from './token-cutoffs.repository.js';
import { TokenRevocationService } from './token-revocation.service.js';
import { RefreshSessionsRepository } from './refresh-sessions.repository.js';
import { RefreshSessionsService } from './refresh-sessions.service.js';
import { RevokedAccessTokensRepository } from './revoked-access-tokens.repository.js';
import { SigningKeysRepository } from './signing-keys.repository.js';
import { SigningKeysService } from './signing-keys.service.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { TokenHousekeepingService } from './token-housekeeping.service.js';

/**
 * Token mechanics only: signing keys, access tokens (issuing and the one
 * verification), ID tokens, refresh sessions, the blocklist and revocation,
 * device tokens, CSRF tokens. No HTTP, no users.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([RefreshSession, SigningKey, TokenCutoff, RevokedAccessToken]),
    JwtModule.register({}),
    AuditModule,
    RedisModule,
    MetricsModule,
  ],
  providers: [
    keyEncryptionSecretProvider,
    SigningKeysRepository,
    SigningKeysService,
    AccessTokensService,
    RefreshSessionsRepository,
    RefreshSessionsService,
    TokenCutoffsRepository,
    RevokedAccessTokensRepository,
    BlocklistService,
    TokenRevocationService,
    VerifiedTokenCache,
    TokenHousekeepingService,
    DeviceTokensService,
    CsrfTokensService,
    IdTokensService,
  ],
  exports: [
    KEY_ENCRYPTION_SECRET,
    IdTokensService,
    SigningKeysService,
    AccessTokensService,
    RefreshSessionsService,
    BlocklistService,
    TokenRevocationService,
    DeviceTokensService,
    CsrfTokensService,
  ],
})
export class TokensModule {}
