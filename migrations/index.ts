import { CreateSchema1795392000000 } from './1795392000000-CreateSchema.js';
import { AddOAuthClients1795399200000 } from './1795399200000-AddOAuthClients.js';
import { AddRevokedAccessTokens1795986605771 } from './1795986605771-AddRevokedAccessTokens.js';
import { AddAuditTrail1795998656271 } from './1795998656271-AddAuditTrail.js';
import { AddClientMetadata1795998666063 } from './1795998666063-AddClientMetadata.js';
import { AddOutboxMessages1795998691530 } from './1795998691530-AddOutboxMessages.js';
import { AddSingleSignOn1796000028535 } from './1796000028535-AddSingleSignOn.js';
import { AddAccountTokens1796009126834 } from './1796009126834-AddAccountTokens.js';

/**
 * Every migration, oldest first. Listed rather than globbed so that the same
 * list loads under tsc output, tsx and the test runner; a test checks that no
 * file in this folder is missing from it.
 */
export const migrations = [
  CreateSchema1795392000000,
  AddOAuthClients1795399200000,
  AddRevokedAccessTokens1795986605771,
  AddAuditTrail1795998656271,
  AddClientMetadata1795998666063,
  AddOutboxMessages1795998691530,
  AddSingleSignOn1796000028535,
  AddAccountTokens1796009126834,
];
