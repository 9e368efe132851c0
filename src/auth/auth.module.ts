import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { LocalStrategy } from './strategies/local.strategy.js';
import { WellKnownController } from './well-known.controller.js';
import { OAuthController } from './oauth.controller.js';
import { AdminKeysController } from './admin-keys.controller.js';
import { OAuthService } from './oauth.service.js';
import { ClientsModule } from '../clients/clients.module.js';

@Module({
  imports: [PassportModule, UsersModule, TokensModule, ClientsModule],
  controllers: [AuthController, OAuthController, WellKnownController, AdminKeysController],
  providers: [
    AuthService,
    OAuthService,
    LocalStrategy,
    JwtStrategy,
    // Order matters: rate limits first (they also shield login), then the token, then roles.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
