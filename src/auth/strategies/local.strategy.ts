import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { BearerChallengeException } from '../../common/filters/problem-details.filter.js';
import type { User } from '../../users/entities/user.entity.js';
import { UsersService } from '../../users/users.service.js';

export const INVALID_CREDENTIALS = 'Invalid username or password';

/** Username (or email) and password. Every failure reads the same. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly users: UsersService) {
    super({ usernameField: 'username', passwordField: 'password' });
  }

  async validate(username: string, password: string): Promise<User> {
    const user = await this.users.authenticate(username, password);
    if (!user) throw new BearerChallengeException(INVALID_CREDENTIALS, false);
    return user;
  }
}
