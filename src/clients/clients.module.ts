import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { AdminClientsController } from './admin-clients.controller.js';
import { OAuthClient } from './entities/oauth-client.entity.js';
import { OAuthClientsRepository } from './oauth-clients.repository.js';
import { OAuthClientsService } from './oauth-clients.service.js';

/** Service clients of the OAuth2 client-credentials grant. */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthClient]), AuditModule],
  controllers: [AdminClientsController],
  providers: [OAuthClientsRepository, OAuthClientsService],
  exports: [OAuthClientsService],
})
export class ClientsModule {}
