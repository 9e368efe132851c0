import { Injectable } from '@nestjs/common';
import { BearerChallengeException, InsufficientScopeException } from '../common/errors.js';
import type { Principal } from '../common/principal.js';
import { userClaims, type UserClaims } from '../users/user-claims.js';
import { UsersService } from '../users/users.service.js';

/** OpenID Connect Core §5.3: the signed-in user's claims, as the token's scopes allow. */
@Injectable()
export class UserinfoService {
  constructor(private readonly users: UsersService) {}

  async claims(principal: Principal): Promise<UserClaims & { sub: string }> {
    const scope = principal.claims.scope ?? '';
    if (!scope.split(' ').includes('openid')) throw new InsufficientScopeException('openid');
    const user = await this.users.findActiveById(principal.subject);
    if (!user) throw new BearerChallengeException('The access token is invalid', true);
    return { sub: user.id, ...userClaims(user, scope) };
  }
}
