import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { PagesModule } from '../pages/pages.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthorizationCodesRepository } from './authorization-codes.repository.js';
import { AuthorizationCodesService } from './authorization-codes.service.js';
import { AuthorizationService } from './authorization.service.js';
import { AuthorizeController } from './authorize.controller.js';
import { EndSessionController } from './end-session.controller.js';
import { HostedFlowPages } from './hosted-flow-pages.js';
import { ConsentsController } from './consents.controller.js';
import { ConsentsRepository } from './consents.repository.js';
import { ConsentsService } from './consents.service.js';
import { EndSessionService } from './end-session.service.js';
import { AuthorizationCode } from './entities/authorization-code.entity.js';
import { Consent } from './entities/consent.entity.js';
import { SsoSession } from './entities/sso-session.entity.js';
import { PendingRequests } from './pending-requests.js';
import { SsoSessionsRepository } from './sso-sessions.repository.js';
import { SsoSessionsService } from './sso-sessions.service.js';
import { UserinfoController } from './userinfo.controller.js';
import { UserinfoService } from './userinfo.service.js';

/**
 * Browser sign-in and single sign-on (OpenID Connect code flow): the
 * authorization endpoint with its sign-in and consent forms, SSO sessions,
 * consents, authorization codes, userinfo and RP-initiated logout. Tokens are
 * issued by the token endpoint (AuthModule) through TokensModule.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([SsoSession, AuthorizationCode, Consent]),
    UsersModule,
    TokensModule,
    ClientsModule,
    AuditModule,
    PagesModule,
  ],
  controllers: [AuthorizeController, EndSessionController, UserinfoController, ConsentsController],
  providers: [
    AuthorizationService,
    AuthorizationCodesRepository,
    AuthorizationCodesService,
    ConsentsRepository,
    ConsentsService,
    EndSessionService,
    HostedFlowPages,
    PendingRequests,
    SsoSessionsRepository,
    SsoSessionsService,
    UserinfoService,
  ],
  exports: [AuthorizationCodesService, SsoSessionsService],
})
export class SsoModule {}
