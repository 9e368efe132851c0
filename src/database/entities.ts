import { AccountToken } from '../account/entities/account-token.entity.js';
import { AuditCheckpoint } from '../audit/entities/audit-checkpoint.entity.js';
import { AuditEvent } from '../audit/entities/audit-event.entity.js';
import { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { OutboxMessage } from '../outbox/outbox-message.entity.js';
import { AuthorizationCode } from '../sso/entities/authorization-code.entity.js';
import { Consent } from '../sso/entities/consent.entity.js';
import { SsoSession } from '../sso/entities/sso-session.entity.js';
import { RefreshSession } from '../tokens/entities/refresh-session.entity.js';
import { RevokedAccessToken } from '../tokens/entities/revoked-access-token.entity.js';
import { SigningKey } from '../tokens/entities/signing-key.entity.js';
import { TokenCutoff } from '../tokens/entities/token-cutoff.entity.js';
import { User } from '../users/entities/user.entity.js';

export const entities = [
  User,
  OAuthClient,
  RefreshSession,
  SigningKey,
  TokenCutoff,
  RevokedAccessToken,
  OutboxMessage,
  AuditEvent,
  AuditCheckpoint,
  SsoSession,
  AuthorizationCode,
  Consent,
  AccountToken,
];
