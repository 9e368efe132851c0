import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SsoModule } from '../sso/sso.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminKeysController } from './admin-keys.controller.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { CookieSessionsService } from './cookie-sessions.service.js';
import { CodeGrantService } from './code-grant.service.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { OAuthController } from './oauth.controller.js';
import { OAuthService } from './oauth.service.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { LocalStrategy } from './strategies/local.strategy.js';
import { WellKnownController } from './well-known.controller.js';

@Module({
  imports: [
    PassportModule,
    AuditModule,
    UsersModule,
    TokensModule,
    ClientsModule,
    RateLimitModule,
    MetricsModule,
    SsoModule,
  ],
  controllers: [AuthController, OAuthController, WellKnownController, AdminKeysController],
  providers: [
    AuthService,
    CookieSessionsService,
    CodeGrantService,
    OAuthService,
    LocalStrategy,
    JwtStrategy,
    // In this order: rate limits (which also shield login), the token, then roles. The rate
    // limit of a request with a token is settled by the JWT guard (see RequestChecks).
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
