import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from './support/app.js';
import {
  adminTokens,
  bearer,
  decodeJwt,
  expectProblem,
  invalidFields,
  login,
  loginStatus,
  newUser,
  register,
  signUp,
} from './support/factories.js';
import { useTestApp } from './support/test-app.js';

describe('admin user management', () => {
  const t = useTestApp();
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    admin = (await adminTokens(t.http)).access_token;
    adminId = (await t.http.get('/users/me').set(bearer(admin)).expect(200)).body.id;
  });

  const asAdmin = {
    get: (path: string) => t.http.get(path).set(bearer(admin)),
    patch: (path: string, body: object) => t.http.patch(path).set(bearer(admin)).send(body),
    delete: (path: string) => t.http.delete(path).set(bearer(admin)),
  };
  /** A fresh tag that appears only in the users a test creates. */
  const uniqueTag = () => `t${randomBytes(5).toString('hex')}`;

  // Runs first, while the bootstrap admin is the only admin of this file's app.
  describe('the last active admin', () => {
    it('is the only admin to begin with', async () => {
      const response = await asAdmin.get('/admin/users?role=admin').expect(200);
      expect(response.body.total).toBe(1);
      expect(response.body.items.map((user: { id: string }) => user.id)).toEqual([adminId]);
    });

    it.each([
      ['demoted', { roles: ['user'] }],
      ['demoted to no roles', { roles: [] }],
      ['disabled', { disabled: true }],
      ['disabled while keeping the role', { roles: ['admin'], disabled: true }],
    ])('cannot be %s (409)', async (_, body) => {
      expectProblem(await asAdmin.patch(`/admin/users/${adminId}`, body), 409);
      const after = await asAdmin.get(`/admin/users/${adminId}`).expect(200);
      expect(after.body).toMatchObject({
        roles: expect.arrayContaining(['admin']),
        disabled: false,
      });
    });

    it('cannot be deleted (409)', async () => {
      expectProblem(await asAdmin.delete(`/admin/users/${adminId}`), 409);
      await asAdmin.get(`/admin/users/${adminId}`).expect(200);
      await login(t.http, ADMIN.username, ADMIN.password);
    });

    it('counts only active admins: a disabled second admin does not lift the rule', async () => {
      const second = await register(t.http);
      await asAdmin.patch(`/admin/users/${second.id}`, { roles: ['admin'] }).expect(200);
      await asAdmin.patch(`/admin/users/${second.id}`, { disabled: true }).expect(200);

      expectProblem(await asAdmin.patch(`/admin/users/${adminId}`, { roles: ['user'] }), 409);

      // A disabled admin is not the last active one, so it may go.
      await asAdmin.delete(`/admin/users/${second.id}`).expect(204);
    });

    it('protects whichever admin is the last one, not the bootstrap account as such', async () => {
      const second = await register(t.http);
      await asAdmin.patch(`/admin/users/${second.id}`, { roles: ['admin'] }).expect(200);
      const secondToken = (await login(t.http, second.username, second.password)).access_token;

      // With another active admin, the bootstrap admin may be demoted ...
      await t.http
        .patch(`/admin/users/${adminId}`)
        .set(bearer(secondToken))
        .send({ roles: ['user'] })
        .expect(200);
      // ... and then the second one is the last, and is protected.
      expectProblem(
        await t.http
          .patch(`/admin/users/${second.id}`)
          .set(bearer(secondToken))
          .send({ roles: ['user'] }),
        409,
      );
      expectProblem(await t.http.delete(`/admin/users/${second.id}`).set(bearer(secondToken)), 409);

      // Restore: the bootstrap admin again, then the second one demoted.
      await t.http
        .patch(`/admin/users/${adminId}`)
        .set(bearer(secondToken))
        .send({ roles: ['admin'] })
        .expect(200);
      admin = (await adminTokens(t.http)).access_token;
      await asAdmin.patch(`/admin/users/${second.id}`, { roles: ['user'] }).expect(200);
      expect((await asAdmin.get('/admin/users?role=admin').expect(200)).body.total).toBe(1);
    });
  });

  describe('access', () => {
    const routes = (id: string) => [
      ['GET', '/admin/users'],
      ['GET', `/admin/users/${id}`],
      ['PATCH', `/admin/users/${id}`],
      ['DELETE', `/admin/users/${id}`],
    ];
    const send = (method: string, path: string, token?: string) => {
      const request = t.http[method.toLowerCase() as 'get' | 'patch' | 'delete'](path);
      if (token) request.set(bearer(token));
      return method === 'PATCH' ? request.send({ roles: ['admin'] }) : request;
    };

    it('refuses every route without a token (401)', async () => {
      const target = await register(t.http);
      for (const [method, path] of routes(target.id)) {
        const response = await send(method, path);
        expectProblem(response, 401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="auth"');
      }
      await asAdmin.get(`/admin/users/${target.id}`).expect(200);
    });

    it('refuses every route to a plain user (403), even on their own account, and changes nothing', async () => {
      const user = await signUp(t.http);
      for (const [method, path] of routes(user.id)) {
        expectProblem(await send(method, path, user.tokens.access_token), 403);
      }
      const after = await asAdmin.get(`/admin/users/${user.id}`).expect(200);
      expect(after.body.roles).toEqual(['user']);
      await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200);
    });
  });

  describe('GET /admin/users', () => {
    it('pages through the matches of a search, with a correct total', async () => {
      const tag = uniqueTag();
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        ids.push(
          (
            await register(
              t.http,
              newUser({ email: `${tag}-${n}@example.com`, username: `${tag}-${n}` }),
            )
          ).id,
        );
      }

      const pages = [];
      for (const page of [1, 2, 3]) {
        const response = await asAdmin
          .get(`/admin/users?search=${tag}&page=${page}&limit=2`)
          .expect(200);
        expect(response.body).toMatchObject({ total: 3, page, limit: 2 });
        pages.push(response.body.items.map((user: { id: string }) => user.id));
      }
      expect(pages.map((page) => page.length)).toEqual([2, 1, 0]);
      expect(pages.flat().sort()).toEqual([...ids].sort());
    });

    it('lists items in the user response shape, never with a password hash', async () => {
      const tag = uniqueTag();
      const user = await register(t.http, newUser({ username: `${tag}-shape` }));
      const response = await asAdmin.get(`/admin/users?search=${tag}`).expect(200);
      expect(response.body.items).toEqual([
        expect.objectContaining({
          id: user.id,
          email: user.email,
          username: user.username,
          roles: ['user'],
          disabled: false,
        }),
      ]);
      expect(JSON.stringify(response.body)).not.toMatch(/password|\$argon2/i);
    });

    it('searches by a substring of the email or of the username, in any case', async () => {
      const tag = uniqueTag();
      const byEmail = await register(t.http, newUser({ email: `mail-${tag}@example.com` }));
      const byName = await register(t.http, newUser({ username: `name-${tag}` }));

      const emailHits = await asAdmin
        .get(`/admin/users?search=MAIL-${tag.toUpperCase()}`)
        .expect(200);
      expect(emailHits.body.items.map((user: { id: string }) => user.id)).toEqual([byEmail.id]);
      const nameHits = await asAdmin.get(`/admin/users?search=name-${tag}`).expect(200);
      expect(nameHits.body.items.map((user: { id: string }) => user.id)).toEqual([byName.id]);
      const both = await asAdmin.get(`/admin/users?search=${tag}`).expect(200);
      expect(both.body.total).toBe(2);
    });

    it('treats LIKE wildcards in the search as plain text', async () => {
      const response = await asAdmin
        .get(`/admin/users?search=${encodeURIComponent('%')}`)
        .expect(200);
      expect(response.body.total).toBe(0);
    });

    it('filters by role', async () => {
      const tag = uniqueTag();
      const plain = await register(t.http, newUser({ username: `${tag}-plain` }));
      const promoted = await register(t.http, newUser({ username: `${tag}-admin` }));
      await asAdmin.patch(`/admin/users/${promoted.id}`, { roles: ['admin'] }).expect(200);

      const admins = await asAdmin.get(`/admin/users?search=${tag}&role=admin`).expect(200);
      expect(admins.body.total).toBe(1);
      expect(admins.body.items.map((user: { id: string }) => user.id)).toEqual([promoted.id]);
      const users = await asAdmin.get(`/admin/users?search=${tag}&role=user`).expect(200);
      expect(users.body.items.map((user: { id: string }) => user.id).sort()).toEqual(
        [plain.id, promoted.id].sort(),
      );

      const allAdmins = await asAdmin.get('/admin/users?role=admin&limit=100').expect(200);
      expect(
        allAdmins.body.items.every((user: { roles: string[] }) => user.roles.includes('admin')),
      ).toBe(true);
      expect(allAdmins.body.items.map((user: { id: string }) => user.id)).toContain(adminId);

      await asAdmin.patch(`/admin/users/${promoted.id}`, { roles: ['user'] }).expect(200);
    });

    it('accepts limit=100 and answers the default page and limit', async () => {
      const response = await asAdmin.get('/admin/users?limit=100').expect(200);
      expect(response.body).toMatchObject({ page: 1, limit: 100 });
      const defaults = await asAdmin.get('/admin/users').expect(200);
      expect(defaults.body).toMatchObject({ page: 1, limit: 20 });
    });

    it.each([
      ['limit', 'limit=101'],
      ['limit', 'limit=0'],
      ['limit', 'limit=ten'],
      ['page', 'page=0'],
      ['page', 'page=1.5'],
      ['role', 'role=superuser'],
      ['search', `search=${'x'.repeat(255)}`],
      ['sort', 'sort=email'],
    ])('refuses an invalid or unknown %s (400 naming it): ?%s', async (field, query) => {
      const response = await asAdmin.get(`/admin/users?${query}`);
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual([field]);
    });
  });

  describe('GET /admin/users/:id', () => {
    it('returns one user', async () => {
      const user = await register(t.http);
      const response = await asAdmin.get(`/admin/users/${user.id}`).expect(200);
      expect(response.body).toMatchObject({
        id: user.id,
        email: user.email,
        username: user.username,
        roles: ['user'],
      });
      expect(JSON.stringify(response.body)).not.toMatch(/password|\$argon2/i);
    });

    it('answers 404 for an unknown uuid and 400 for a non-uuid', async () => {
      expectProblem(await asAdmin.get(`/admin/users/${randomUUID()}`), 404);
      const response = await asAdmin.get('/admin/users/not-a-uuid');
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual(['id']);
    });
  });

  describe('PATCH /admin/users/:id', () => {
    it('promotes to admin: the next sign-in carries the role and can use the admin API; older tokens stop', async () => {
      const user = await signUp(t.http);
      const response = await asAdmin
        .patch(`/admin/users/${user.id}`, { roles: ['admin'] })
        .expect(200);
      expect([...response.body.roles].sort()).toEqual(['admin', 'user']);

      const fresh = await login(t.http, user.username, user.password);
      expect(decodeJwt(fresh.access_token).payload.roles).toContain('admin');
      await t.http.get('/admin/users').set(bearer(fresh.access_token)).expect(200);
      // A token minted with the old roles must not outlive the change.
      expectProblem(await t.http.get('/users/me').set(bearer(user.tokens.access_token)), 401);

      await asAdmin.patch(`/admin/users/${user.id}`, { roles: ['user'] }).expect(200);
      const demoted = await login(t.http, user.username, user.password);
      expectProblem(await t.http.get('/admin/users').set(bearer(demoted.access_token)), 403);
    });

    it('disables: no sign-in, current tokens refused; enabling lets them sign in again', async () => {
      const user = await signUp(t.http);
      const disabled = await asAdmin
        .patch(`/admin/users/${user.id}`, { disabled: true })
        .expect(200);
      expect(disabled.body.disabled).toBe(true);

      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
      const refused = await t.http.get('/users/me').set(bearer(user.tokens.access_token));
      expectProblem(refused, 401);
      expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
      expectProblem(
        await t.http.post('/auth/refresh').send({ refresh_token: user.tokens.refresh_token }),
        401,
      );

      const enabled = await asAdmin
        .patch(`/admin/users/${user.id}`, { disabled: false })
        .expect(200);
      expect(enabled.body.disabled).toBe(false);
      const again = await login(t.http, user.username, user.password);
      await t.http.get('/users/me').set(bearer(again.access_token)).expect(200);
      // Tokens from before the disable stay dead.
      expectProblem(await t.http.get('/users/me').set(bearer(user.tokens.access_token)), 401);
    });

    it.each([
      ['email', { email: 'not-an-address' }],
      ['emailVerified', { emailVerified: 'yes' }],
      ['passwordHash', { passwordHash: 'x' }],
      ['username', { username: 'renamed' }],
      ['roles', { roles: ['superuser'] }],
      ['roles', { roles: 'admin' }],
      ['disabled', { disabled: 'yes' }],
    ])('refuses %s in %j (400 naming it) and changes nothing', async (field, body) => {
      const user = await register(t.http);
      const response = await asAdmin.patch(`/admin/users/${user.id}`, body);
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual([field]);
      const after = await asAdmin.get(`/admin/users/${user.id}`).expect(200);
      expect(after.body).toMatchObject({
        email: user.email,
        username: user.username,
        roles: ['user'],
        disabled: false,
      });
    });

    it('answers 404 for an unknown uuid and 400 for a non-uuid', async () => {
      expectProblem(await asAdmin.patch(`/admin/users/${randomUUID()}`, { disabled: true }), 404);
      const response = await asAdmin.patch('/admin/users/12345', { disabled: true });
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual(['id']);
    });
  });

  describe('DELETE /admin/users/:id', () => {
    it('deletes (204): the user is gone, their token refused, the email free again', async () => {
      const user = await signUp(t.http);
      const response = await asAdmin.delete(`/admin/users/${user.id}`);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');

      expectProblem(await asAdmin.get(`/admin/users/${user.id}`), 404);
      expectProblem(await t.http.get('/auth/me').set(bearer(user.tokens.access_token)), 401);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
      expectProblem(
        await t.http.post('/auth/refresh').send({ refresh_token: user.tokens.refresh_token }),
        401,
      );
      expectProblem(await asAdmin.delete(`/admin/users/${user.id}`), 404);
      // Its sessions went with it (the foreign key cascades), not only its access.
      expect(await t.sql('SELECT id FROM refresh_sessions WHERE user_id = $1', [user.id])).toEqual(
        [],
      );

      await register(t.http, {
        email: user.email,
        username: user.username,
        password: user.password,
      });
    });

    it('answers 404 for an unknown uuid and 400 for a non-uuid', async () => {
      expectProblem(await asAdmin.delete(`/admin/users/${randomUUID()}`), 404);
      expectProblem(await asAdmin.delete('/admin/users/zzz'), 400);
    });
  });
});
