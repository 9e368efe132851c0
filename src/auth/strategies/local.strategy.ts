import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { presentedDeviceTokens } from '../../common/device-cookie.js';
import { PasswordSignIn, PasswordSignInService } from '../../users/password-sign-in.service.js';

/** Username (or email) and password, through the one password check. Every failure reads the same. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly passwords: PasswordSignInService) {
    super({ usernameField: 'username', passwordField: 'password', passReqToCallback: true });
  }

  validate(request: FastifyRequest, username: string, password: string): Promise<PasswordSignIn> {
    return this.passwords.verify({
      account: { login: username },
      password,
      deviceTokens: presentedDeviceTokens(request),
      purpose: 'sign-in',
    });
  }
}
