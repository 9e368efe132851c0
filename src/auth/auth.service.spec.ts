import { Logger, NotFoundException } from '@nestjs/common';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthServices, authServices } from '../../test/support/fakes.js';
import {
  caught,
  newPrincipal,
  newSigningKey,
  testConfig,
  userEntity,
} from '../../test/support/unit.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { Role } from '../common/role.enum.js';
import type { User } from '../users/entities/user.entity.js';
import { AuthService, InvalidRefreshTokenError } from './auth.service.js';

const origin: RequestOrigin = { userAgent: 'spec-agent/1.0', ip: '203.0.113.7' };

describe(AuthService.name, () => {
  const config = testConfig();
  const key = newSigningKey();
  let services: AuthServices;
  let sut: AuthService;
  let ada: User;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    ada = userEntity({ roles: [Role.User, Role.Admin] });
    services = authServices(config, key, [ada]);
    sut = services.auth;
  });

  describe('startSession', () => {
    it("answers with an access token for the user's roles in a new session, and its refresh token", async () => {
      const response = (await sut.startSession(ada, origin)).tokens;

      expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      const principal = await services.accessTokens.verify(response.access_token);
      expect(principal).toMatchObject({ subject: ada.id, roles: ada.roles });
      expect(services.rows.rows).toHaveLength(1);
      expect(services.rows.rows[0]).toMatchObject({
        sessionId: principal.sessionId,
        ip: origin.ip,
      });
      expect(response.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });

  describe('refresh', () => {
    it('rotates the refresh token and issues a new pair in the same session', async () => {
      const first = (await sut.startSession(ada, origin)).tokens;

      const second = (await sut.refresh(first.refresh_token!, origin)).tokens;

      expect(second.refresh_token).not.toBe(first.refresh_token);
      const [before, after] = await Promise.all(
        [first, second].map((response) => services.accessTokens.verify(response.access_token)),
      );
      expect(after.sessionId).toBe(before.sessionId);
    });

    it('revokes the whole session when a spent refresh token comes back', async () => {
      const first = (await sut.startSession(ada, origin)).tokens;
      const second = (await sut.refresh(first.refresh_token!, origin)).tokens;

      const error = await caught(() => sut.refresh(first.refresh_token!, origin));

      expect(error).toBeInstanceOf(InvalidRefreshTokenError);
      const { sessionId } = await services.accessTokens.verify(second.access_token);
      expect(services.revocation.sessions).toEqual([[sessionId, 'reuse']]);
      await expect(sut.refresh(second.refresh_token!, origin)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });

    it('refuses an unknown token with 401, revoking nothing', async () => {
      const error = await caught(() => sut.refresh('A'.repeat(43), origin));

      expect(error).toBeInstanceOf(InvalidRefreshTokenError);
      expect((error as InvalidRefreshTokenError).getStatus()).toBe(401);
      expect(services.revocation.sessions).toEqual([]);
    });

    it('ends the session of a user who was disabled meanwhile', async () => {
      const first = (await sut.startSession(ada, origin)).tokens;
      ada.disabled = true;

      await expect(sut.refresh(first.refresh_token!, origin)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
      expect(services.revocation.sessions).toEqual([[services.rows.rows[0].sessionId, 'disabled']]);
    });
  });

  describe('tokenResponse', () => {
    it('answers a service without a refresh token', async () => {
      const response = await sut.tokenResponse({
        subject: 'client:billing',
        roles: [],
        clientId: 'billing',
      });

      expect(response).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: config.auth.accessTokenTtl,
      });
    });
  });

  describe('logout', () => {
    it("ends the caller's session and revokes the access token it presented", async () => {
      const principal = newPrincipal({ subject: ada.id, userId: ada.id });

      await sut.logout(principal);

      expect(services.revocation.sessions).toEqual([[principal.sessionId, 'logout']]);
      expect(services.revocation.accessTokens).toEqual([principal.tokenId]);
    });

    it("also ends the session of a refresh token of the caller's, but not of someone else's", async () => {
      const mine = (await sut.startSession(ada, origin)).tokens;
      const theirs = (await sut.startSession(userEntity(), origin)).tokens;
      const principal = newPrincipal({ subject: ada.id, userId: ada.id });
      const [mineRow, theirRow] = services.rows.rows;

      await sut.logout(principal, mine.refresh_token);
      await sut.logout(principal, theirs.refresh_token);

      expect(mineRow.revokedAt).not.toBeNull();
      expect(theirRow.revokedAt).toBeNull();
    });
  });

  describe('revokeOwnSession', () => {
    it("ends one of the caller's sessions", async () => {
      await sut.startSession(ada, origin);
      const principal = newPrincipal({ subject: ada.id, userId: ada.id });

      await sut.revokeOwnSession(principal, services.rows.rows[0].sessionId);

      expect(services.rows.rows[0].revokedReason).toBe('logout');
    });

    it("answers another user's session like a missing one: 404", async () => {
      await sut.startSession(userEntity(), origin);
      const principal = newPrincipal({ subject: ada.id, userId: ada.id });

      const error = await caught(() =>
        sut.revokeOwnSession(principal, services.rows.rows[0].sessionId),
      );

      expect(error).toBeInstanceOf(NotFoundException);
      expect(services.rows.rows[0].revokedAt).toBeNull();
    });
  });

  describe('sessions', () => {
    it("lists the caller's live sessions, marking the current one", async () => {
      await sut.startSession(ada, origin);
      await sut.startSession(ada, origin);
      const current = services.rows.rows[1].sessionId;

      const sessions = await sut.sessions(
        newPrincipal({ subject: ada.id, userId: ada.id, sessionId: current }),
      );

      expect(sessions).toHaveLength(2);
      expect(sessions.filter((session) => session.current).map((session) => session.id)).toEqual([
        current,
      ]);
    });
  });

  describe('logoutAll', () => {
    it('voids every token of the user and ends every session', async () => {
      await sut.logoutAll(newPrincipal({ subject: ada.id, userId: ada.id }));

      expect(services.revocation.users).toEqual([[ada.id, 'logout_all', true]]);
    });
  });
});
