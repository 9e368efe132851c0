import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { AdminClientsController } from './admin-clients.controller.js';
import { DocsClientBootstrap } from './docs-client.js';
import { OAuthClient } from './entities/oauth-client.entity.js';
import { OAuthClientsRepository } from './oauth-clients.repository.js';
import { OAuthClientsService } from './oauth-clients.service.js';

/** Registered OAuth clients: apps users sign in to, and services (client-credentials grant). */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthClient]), AuditModule],
  controllers: [AdminClientsController],
  providers: [OAuthClientsRepository, OAuthClientsService, DocsClientBootstrap],
  exports: [OAuthClientsService],
})
export class ClientsModule {}
