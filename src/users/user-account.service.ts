import { Injectable } from '@nestjs/common';
import type { Principal } from '../tokens/access-token.claims.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { UsersService } from './users.service.js';

/** Account changes that must also end other sessions. */
@Injectable()
export class UserAccountService {
  constructor(
    private readonly users: UsersService,
    private readonly revocation: TokenRevocationService,
  ) {}

  /** The caller's own session stays signed in; every other one ends. */
  async changePassword(principal: Principal, dto: ChangePasswordDto): Promise<void> {
    await this.users.changePassword(principal.subject, dto);
    await this.revocation.revokeOtherSessions(
      principal.subject,
      'password_change',
      principal.sessionId ?? undefined,
    );
  }
}
