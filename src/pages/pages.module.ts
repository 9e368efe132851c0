import { Module } from '@nestjs/common';
import { keyEncryptionSecretProvider } from '../config/key-encryption-secret.js';
import { FormCsrf } from './form-csrf.js';
import { HostedPages } from './hosted-pages.js';

/**
 * The hosted pages of browser sign-in (sign-in, consent, error, signed out)
 * and the CSRF tokens of their forms. The Fastify side (templates, the
 * stylesheet under /assets/) is registered by `registerHostedPages`.
 */
@Module({
  providers: [keyEncryptionSecretProvider, HostedPages, FormCsrf],
  exports: [HostedPages, FormCsrf],
})
export class PagesModule {}
