import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adminTokens,
  bearer,
  expectProblem,
  invalidFields,
  type Tokens,
} from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/** Bad input on the admin endpoints for service clients and sessions: a clear 4xx, nothing stored. */
describe('admin clients and sessions: bad input', () => {
  const t = useTestApp();
  let admin: Tokens;

  beforeAll(async () => {
    admin = await adminTokens(t.http);
  });

  const clientNames = async () =>
    (
      (await t.http.get('/admin/clients').set(bearer(admin.access_token)).expect(200)).body as {
        name: string;
      }[]
    ).map((client) => client.name);

  it.each([
    ['an empty name', { name: '   ' }, 'name'],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, 'name'],
    ['an unknown role', { name: 'svc-bad-role', roles: ['root'] }, 'roles'],
    ['a repeated role', { name: 'svc-dup-role', roles: ['admin', 'admin'] }, 'roles'],
    ['a client-chosen secret', { name: 'svc-own-secret', client_secret: 'mine' }, 'client_secret'],
  ])('refuses %s with 400 naming the field, and stores nothing', async (_, body, field) => {
    const response = await t.http.post('/admin/clients').set(bearer(admin.access_token)).send(body);

    expectProblem(response, 400);
    expect(invalidFields(response)).toContain(field);
    expect(await clientNames()).not.toContain((body as { name: string }).name);
  });

  it('answers 404 for deleting a client that does not exist', async () => {
    const response = await t.http
      .delete('/admin/clients/svc_doesnotexist00000')
      .set(bearer(admin.access_token));

    expectProblem(response, 404);
  });

  it('refuses a session listing or revocation for a malformed user id with 400', async () => {
    expectProblem(
      await t.http.get('/admin/users/not-a-uuid/sessions').set(bearer(admin.access_token)),
      400,
    );
    expectProblem(
      await t.http.delete('/admin/users/not-a-uuid/sessions').set(bearer(admin.access_token)),
      400,
    );
  });

  it('answers 404 for the sessions of a user that does not exist', async () => {
    const response = await t.http
      .get(`/admin/users/${randomUUID()}/sessions`)
      .set(bearer(admin.access_token));

    expectProblem(response, 404);
  });

  it('rotates keys only for admins and takes no body', async () => {
    const response = await t.http
      .post('/admin/keys/rotate')
      .set(bearer(admin.access_token))
      .expect(201);

    expect(Object.keys(response.body)).toEqual(['kid']);
  });
});
